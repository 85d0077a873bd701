import type { ColumnType, Generated } from 'kysely'

/** Jetstream `time_us` cursors, one row per consumer, written in the same transaction as the rows they cover. */
export interface CursorTable {
  name: string
  timeUs: ColumnType<string, string | number, string | number>
  updatedAt: Generated<Date>
}
