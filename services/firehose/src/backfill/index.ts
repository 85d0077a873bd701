import PQueue from 'p-queue'
import type { Registry } from 'prom-client'
import { enqueueBackfill, enqueueBackfills } from '@sundial/common'
import type { Bus, Database } from '@sundial/common'
import type { IndexScope } from '../config.ts'
import { readCursor } from '../db/cursor.ts'
import { CHANNELS } from '../firehose.ts'
import type { Logger } from '../logger.ts'
import type { BackfillConfig } from './config.ts'
import { GapDetector, recoverGap } from './gap.ts'
import { JobRunner } from './job-runner.ts'
import { accountsNeverQueued, failedTimelineAccounts } from './jobs.ts'
import { BackfillMetrics } from './metrics.ts'
import { RepoResolver } from './resolver.ts'
import { RepoWriter } from './repo-writer.ts'
import { BackfillStats } from './stats.ts'
import { BackfillWorker } from './worker.ts'

export type { BackfillConfig } from './config.ts'
export { readBackfillConfig } from './config.ts'
export { BACKFILL_STATS_KEY } from './stats.ts'

export interface BackfillOptions {
  cfg: BackfillConfig
  /** The firehose's database (the pool gives the LISTEN connection). */
  database: Database
  bus: Bus
  registry: Registry
  logger: Logger
  /** The firehose's record size limit. */
  maxRecordBytes: number
  indexScope: IndexScope
  /** In the `local` scope, how often the firehose re-reads local users and their follows (default 10 s). */
  scopeRefreshMs?: number
  /** How often queue numbers go to the gauges and the bus. */
  statsMs: number
  /** Test seam: runs after each repo is fetched and before it is written. */
  beforeWrite?: (did: string, rev: string) => Promise<void>
}

/**
 * Backfill and gap recovery inside the firehose service: the worker that fetches accounts' history, the wiring
 * that queues it (a local user's new follow, never-queued accounts, a gap in the stream), and its numbers.
 */
export class Backfill {
  readonly worker: BackfillWorker
  readonly metrics: BackfillMetrics
  private stats: BackfillStats
  private gaps: GapDetector
  /** Bus-triggered work (queueing follows, gap recovery), one at a time and awaited on stop. */
  private tasks = new PQueue({ concurrency: 1 })
  private unsubscribe: Array<() => Promise<void>> = []
  private logger: Logger

  constructor(private opts: BackfillOptions) {
    const { cfg, database, registry } = opts
    this.logger = opts.logger.child({ component: 'backfill' })
    this.metrics = new BackfillMetrics(registry)
    const resolver = new RepoResolver(cfg.plcUrl, cfg.fetchTimeoutMs)
    const writer = new RepoWriter({
      db: database.db,
      metrics: this.metrics,
      batchSize: cfg.batchSize,
      days: cfg.days,
      maxRecordBytes: opts.maxRecordBytes,
      maxBufferedBytes: cfg.maxBufferedBytes,
    })
    const runner = new JobRunner({
      db: database.db,
      resolver,
      writer,
      metrics: this.metrics,
      fetchTimeoutMs: cfg.fetchTimeoutMs,
      maxCarBytes: cfg.maxCarBytes,
      beforeWrite: opts.beforeWrite,
    })
    this.worker = new BackfillWorker({
      cfg,
      db: database.db,
      pool: database.pool,
      runner,
      resolver,
      metrics: this.metrics,
      logger: this.logger,
      recheckAllFollows: opts.indexScope === 'local',
      minJobAgeMs: opts.indexScope === 'local' ? 2 * (opts.scopeRefreshMs ?? 10_000) + 1000 : 0,
    })
    this.stats = new BackfillStats(
      database.db,
      opts.bus,
      this.worker,
      this.metrics,
      this.logger,
      opts.statsMs,
    )
    this.gaps = new GapDetector(cfg.replayWindowHours * 3_600_000_000)
  }

  /** Call before the firehose starts reading, so the stored cursor is still the one from the last run. */
  async start(): Promise<void> {
    const { database, bus } = this.opts
    const db = database.db
    const stored = await readCursor(db)
    if (this.gaps.staleAtStart(stored)) {
      const ageHours = Math.round((Date.now() * 1000 - stored!) / 3_600_000_000)
      await recoverGap(db, this.metrics, this.logger, 'startup', { cursor: stored, ageHours })
    }
    // Accounts whose wake-up was lost (a crash between a follow's commit and its queueing, an appview that made
    // a local user without queueing its onboarding) are queued now, and accounts that gave up get another round.
    const never = await accountsNeverQueued(db)
    await enqueueBackfills(db, never.users, 'onboard')
    await enqueueBackfills(db, never.followed, 'follow')
    const failed = await failedTimelineAccounts(db)
    await enqueueBackfills(db, failed, 'manual')
    if (never.users.length + never.followed.length + failed.length > 0) {
      const counts = { users: never.users.length, followed: never.followed.length, failed: failed.length }
      this.logger.info(counts, 'queued missing backfills and retried failed ones')
    }
    this.unsubscribe.push(
      await bus.subscribe(CHANNELS.localFollow, (message) => {
        void this.tasks.add(() => this.onLocalFollow(message))
      }),
      await bus.subscribe(CHANNELS.committed, (message) => this.onCommitted(message)),
    )
    await this.worker.start()
    this.stats.start()
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) await unsubscribe()
    await this.tasks.onIdle()
    await this.worker.stop()
    await this.stats.stop()
  }

  /** A local user followed someone: fetch the subject's history. */
  private async onLocalFollow(message: string): Promise<void> {
    try {
      const { follower, subject, op } = JSON.parse(message) as {
        follower?: string
        subject?: string
        op?: string
      }
      if (op !== 'follow' || typeof subject !== 'string' || typeof follower !== 'string') return
      await enqueueBackfill(this.opts.database.db, { did: subject, reason: 'follow', follower })
    } catch (err) {
      this.logger.warn({ err }, 'could not queue a backfill for a new follow')
    }
  }

  /** Gap check on every committed batch; only a jump costs anything. */
  private onCommitted(message: string): void {
    let cursor: unknown
    try {
      cursor = (JSON.parse(message) as { cursor?: unknown }).cursor
    } catch {
      return
    }
    if (typeof cursor !== 'number') return
    const previous = this.gaps.lastSeen
    if (!this.gaps.jumped(cursor)) return
    void this.tasks.add(async () => {
      try {
        await recoverGap(this.opts.database.db, this.metrics, this.logger, 'stream', {
          from: previous,
          to: cursor,
        })
      } catch (err) {
        this.logger.error({ err }, 'gap recovery failed')
      }
    })
  }
}
