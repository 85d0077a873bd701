import type { Bus, Db } from '@sundial/common'
import type { Logger } from '../logger.ts'
import { countActiveJobs, countFinishedJobs } from './jobs.ts'
import type { BackfillMetrics } from './metrics.ts'
import type { BackfillWorker } from './worker.ts'

const FINISHED_EVERY = 10

/** Bus key the dashboard reads: `bus.getStats('backfill')`. */
export const BACKFILL_STATS_KEY = 'backfill'

/**
 * Every `intervalMs`: queue depth by state from Postgres into the gauges and, with this worker's in-flight jobs
 * per host, onto the bus as `{pending, running, failed, done, inFlight, perHost (JSON), updatedAt}`.
 */
export class BackfillStats {
  private timer: NodeJS.Timeout | undefined
  private publishing: Promise<void> | undefined
  private finished = { done: 0, failed: 0 }
  private rounds = 0

  constructor(
    private db: Db,
    private bus: Bus,
    private worker: BackfillWorker,
    private metrics: BackfillMetrics,
    private logger: Logger,
    private intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.publishing ??= this.publish().finally(() => (this.publishing = undefined))
    }, this.intervalMs)
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.publishing
  }

  async publish(): Promise<void> {
    try {
      // Finished rows grow with every account ever backfilled: recount them every tenth round only.
      if (this.rounds++ % FINISHED_EVERY === 0) this.finished = await countFinishedJobs(this.db)
      const counts = { ...(await countActiveJobs(this.db)), ...this.finished }
      for (const [state, n] of Object.entries(counts)) this.metrics.jobs.set({ state }, n)
      await this.bus.setStats(
        BACKFILL_STATS_KEY,
        {
          ...counts,
          inFlight: this.worker.inFlightCount,
          perHost: JSON.stringify(Object.fromEntries(this.worker.perHost)),
          updatedAt: new Date().toISOString(),
        },
        Math.max(10, Math.ceil((this.intervalMs * 5) / 1000)),
      )
    } catch (err) {
      this.logger.warn({ err }, 'could not publish backfill stats')
    }
  }
}
