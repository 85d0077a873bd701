import type { Generated } from 'kysely'

export interface LocalUserTable {
  did: string
  createdAt: Generated<Date>
  lastSeenAt: Generated<Date>
  /** When the materialised timeline was first built from indexed data. */
  timelineBuiltAt: Date | null
  /** When backfill of every followed account finished; null while incomplete. */
  completeSince: Date | null
}
