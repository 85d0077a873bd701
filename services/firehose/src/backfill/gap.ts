import { enqueueBackfills } from '@sundial/common'
import type { Db } from '@sundial/common'
import type { Logger } from '../logger.ts'
import { forgetFinishedExcept, localTimelineAccounts } from './jobs.ts'
import type { BackfillMetrics } from './metrics.ts'

export type GapTrigger = 'startup' | 'stream'

/**
 * Decides when the stream has lost events Jetstream can no longer replay: a stored cursor older than the replay
 * window at start-up, or, while running, two consecutive commits further apart than the window (the socket was
 * down that long and Jetstream resumed from the oldest event it still had).
 */
export class GapDetector {
  private last: number | undefined

  constructor(private windowUs: number) {}

  /** Newest cursor seen by `jumped`. */
  get lastSeen(): number | undefined {
    return this.last
  }

  /** At start-up: is the stored cursor (µs) out of replay range? */
  staleAtStart(storedUs: number | undefined, nowUs = Date.now() * 1000): boolean {
    return storedUs !== undefined && nowUs - storedUs > this.windowUs
  }

  /** After each committed batch: did the stream jump past the window? */
  jumped(cursorUs: number): boolean {
    const previous = this.last
    if (previous === undefined || cursorUs > previous) this.last = cursorUs
    return previous !== undefined && cursorUs - previous > this.windowUs
  }
}

/**
 * Queues a fresh backfill of every local user and every account they follow, and forgets what earlier backfills
 * established for anyone else (a later follow fetches them again).
 */
export async function recoverGap(
  db: Db,
  metrics: BackfillMetrics,
  logger: Logger,
  trigger: GapTrigger,
  detail: Record<string, unknown>,
): Promise<number> {
  const accounts = await localTimelineAccounts(db)
  const queued = await enqueueBackfills(db, accounts, 'gap')
  const forgotten = await forgetFinishedExcept(db, accounts)
  metrics.gapRecoveries.inc({ trigger })
  metrics.gapAccounts.inc(accounts.length)
  logger.warn(
    { trigger, ...detail, accounts: accounts.length, queued, forgotten },
    'events lost beyond the Jetstream replay window: re-backfilling local users and their follows',
  )
  return accounts.length
}
