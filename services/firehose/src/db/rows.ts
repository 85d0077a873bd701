import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'

/**
 * indexed_at from a row's `timeUs` (when the network saw the event), never later than now: replays and
 * backfills keep the time the record first appeared, and a skewed clock cannot date a record in the future.
 */
export const INDEXED_AT = sql`least(timestamptz 'epoch' + "timeUs" * interval '1 microsecond', now())`

/** The repository (author) DID of an `at://did/collection/rkey` uri. */
export function didOfUri(uri: string): string {
  return uri.slice(5, uri.indexOf('/', 5))
}

/** What an array parameter may hold: text and numbers, null and undefined meaning SQL NULL. */
export type ArrayElement = string | number | null | undefined

type ElementKeys<Row> = { [K in keyof Row]-?: Row[K] extends ArrayElement ? K : never }[keyof Row]

/**
 * One column of a batch as an array parameter, for `unnest($1::text[], $2::bigint[], …)`: Postgres reads arrays of
 * plain values with less work per row than json_to_recordset, which suits the narrow rows most of the stream is.
 */
export function column<Row, K extends ElementKeys<Row>>(rows: readonly Row[], key: K): string {
  return arrayLiteral(rows.map((row) => row[key] as ArrayElement))
}

/**
 * A Postgres array literal (`{"a","b"}`), to pass where node-postgres would otherwise serialise a JS array itself,
 * which runs two regular expressions per element. The identifiers, CIDs, TIDs and timestamps that make up nearly
 * every column need no escaping, so they are checked and joined in one go; anything else is escaped per element.
 */
export function arrayLiteral(values: readonly ArrayElement[]): string {
  let strings = 0
  for (const value of values) {
    if (typeof value === 'string') {
      if (value.includes('"') || value.includes('\\')) return escapedArrayLiteral(values)
      strings++
    } else if (typeof value !== 'number') {
      return escapedArrayLiteral(values)
    }
  }
  if (values.length === 0) return '{}'
  if (strings === values.length) return `{"${values.join('","')}"}`
  if (strings === 0) return `{${values.join(',')}}`
  return escapedArrayLiteral(values)
}

function escapedArrayLiteral(values: readonly ArrayElement[]): string {
  const elements = values.map((value) =>
    value === null || value === undefined ? 'NULL' : `"${String(value).replace(/["\\]/g, '\\$&')}"`,
  )
  return `{${elements.join(',')}}`
}

/**
 * A whole batch of rows as one json parameter, expanded server-side by `json_to_recordset`: one round trip and one
 * parse per statement however many rows. Keys stay camelCase, so record columns are quoted identifiers.
 */
export function jsonRows(rows: readonly object[]): RawBuilder<unknown> {
  return sql`${JSON.stringify(rows)}::json`
}

/**
 * As jsonRows, for rows whose `record` is already JSON text: it is spliced in as a nested object (declare the
 * column `jsonb`), so it is neither escaped into a string here nor parsed twice by Postgres.
 */
export function jsonRowsWithRecord(rows: ReadonlyArray<{ record: string }>): RawBuilder<unknown> {
  const parts: string[] = []
  for (const row of rows) {
    const rest = JSON.stringify({ ...row, record: undefined })
    parts.push(rest.length > 2 ? `${rest.slice(0, -1)},"record":${row.record}}` : `{"record":${row.record}}`)
  }
  return sql`${`[${parts.join(',')}]`}::json`
}
