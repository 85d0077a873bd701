import type { Generated } from 'kysely'

export type BackfillReason = 'onboard' | 'follow' | 'gap' | 'manual'
export type BackfillState = 'pending' | 'running' | 'done' | 'failed'

/**
 * One request to fetch an account's history from its PDS. Per account there is at most one pending-or-running
 * row and one finished (done or failed) row: the latest outcome, with the repo revision it reached.
 */
export interface BackfillJobTable {
  id: Generated<string>
  did: string
  reason: BackfillReason
  state: Generated<BackfillState>
  attempts: Generated<number>
  /** When a pending job may next be claimed (now, or later after a failure). */
  nextAttemptAt: Generated<Date>
  lastError: string | null
  /** Host of the account's PDS, once resolved: claims skip hosts already at their concurrency limit. */
  pdsHost: string | null
  /** Repo revision the backfill reached. */
  rev: string | null
  /** Records written by the last run. */
  records: Generated<number>
  leaseOwner: string | null
  leaseExpiresAt: Date | null
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
  startedAt: Date | null
  finishedAt: Date | null
}
