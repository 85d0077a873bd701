import type { Generated } from 'kysely'

export interface ActorTable {
  did: string
  handle: string | null
  pdsEndpoint: string | null
  /** Jetstream account status: active, deactivated, takendown, suspended, deleted. */
  status: Generated<string>
  active: Generated<boolean>
  /** Newest repo revision seen for this account, live or backfilled. */
  rev: string | null
  indexedAt: Generated<Date>
  updatedAt: Generated<Date>
}
