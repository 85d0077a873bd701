import type { Generated } from 'kysely'

/** A deleted record. Backfill consults it so a late copy of a deleted record is never resurrected. */
export interface TombstoneTable {
  uri: string
  did: string
  collection: string
  rev: string | null
  deletedAt: Generated<Date>
}
