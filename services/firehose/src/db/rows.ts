import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'

/**
 * A whole batch of rows as one json parameter, expanded server-side by `json_to_recordset`: one round trip and one
 * parse per statement however many rows. Keys stay camelCase, so record columns are quoted identifiers.
 */
/**
 * indexed_at from a row's `timeUs` (when the network saw the event), never later than now: replays and
 * backfills keep the time the record first appeared, and a skewed clock cannot date a record in the future.
 */
export const INDEXED_AT = sql`least(timestamptz 'epoch' + "timeUs" * interval '1 microsecond', now())`

/**
 * One column of a batch as an array parameter, for `unnest($1::text[], $2::bigint[], …)`: Postgres reads arrays of
 * plain values with less work per row than json_to_recordset, which suits the narrow rows most of the stream is.
 */
export function column<Row, K extends keyof Row>(rows: readonly Row[], key: K): Array<Row[K]> {
  return rows.map((row) => row[key])
}

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
