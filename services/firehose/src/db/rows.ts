import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'

/**
 * A whole batch of rows as one json parameter, expanded server-side by `json_to_recordset`: one round trip and one
 * parse per statement however many rows. Keys stay camelCase, so record columns are quoted identifiers.
 */
export function jsonRows(rows: readonly object[]): RawBuilder<unknown> {
  return sql`${JSON.stringify(rows)}::json`
}
