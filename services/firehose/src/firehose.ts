import { BatchWriter } from './batch/writer.ts'
import type { CommittedBatch } from './batch/writer.ts'
import type { AppContext } from './context.ts'
import { readCursor } from './db/cursor.ts'
import { decodeEvent } from './ingest/decode.ts'
import { COLLECTIONS } from './ingest/events.ts'
import type { IndexEvent } from './ingest/events.ts'
import { RejectionLog, reject } from './ingest/rejections.ts'
import { LocalScope } from './scope.ts'
import { StatsPublisher } from './stats.ts'
import { EventQueue } from './stream/event-queue.ts'
import { JetstreamSource } from './stream/jetstream-source.ts'

/** Bus channels the firehose publishes on after each commit. */
export const CHANNELS = {
  /** `{"cursor": time_us, "events": n}` after every committed batch. */
  committed: 'firehose.committed',
  /** `{"follower": did, "subject": did, "op": "follow" | "unfollow"}` for follows by local users. */
  localFollow: 'firehose.local-follow',
} as const

/**
 * Jetstream → Postgres: the socket feeds a bounded queue of decoded events; one loop takes batches off it and
 * commits each with its cursor. Reading pauses while the queue is full.
 */
export class Firehose {
  private queue: EventQueue
  private writer: BatchWriter
  private source: JetstreamSource | undefined
  private rejections: RejectionLog
  private scope: LocalScope | undefined
  private stats: StatsPublisher
  private loop: Promise<void> | undefined
  private scopeTimer: NodeJS.Timeout | undefined
  private scopeRefresh: Promise<void> | undefined
  /** Aborts waiting and retrying; set when a drain on shutdown runs out of time. */
  private abort = new AbortController()
  /** Wakes the loop to drain what is left once the source is closed. */
  private draining = new AbortController()
  private cursorUs: number | undefined
  private connected = false
  private committed = new Map<string, number>()
  private failure: unknown

  constructor(private ctx: AppContext) {
    const { cfg, metrics, logger } = ctx
    this.queue = new EventQueue({ maxEvents: cfg.queueMax, maxBytes: cfg.queueMaxBytes })
    this.rejections = new RejectionLog(metrics, logger)
    this.scope = cfg.indexScope === 'local' ? new LocalScope() : undefined
    this.writer = new BatchWriter({
      db: ctx.db,
      logger,
      metrics,
      rejections: this.rejections,
      scope: this.scope,
      onCommitted: (batch) => this.onCommitted(batch),
    })
    this.stats = new StatsPublisher(ctx, () => ({
      cursorUs: this.cursorUs,
      queueDepth: this.queue.depth,
      connected: this.connected,
      paused: this.source?.paused ?? false,
      committed: this.committed,
    }))
  }

  /** Newest committed `time_us`. */
  get cursor(): number | undefined {
    return this.cursorUs
  }

  get isConnected(): boolean {
    return this.connected
  }

  /** Set if the write loop died (a bug): health reports it. */
  get failed(): unknown {
    return this.failure
  }

  get queueDepth(): number {
    return this.queue.depth
  }

  async start(): Promise<void> {
    const { cfg, logger } = this.ctx
    const stored = await readCursor(this.ctx.db)
    this.cursorUs = stored
    // Jetstream replays inclusively and instances' clocks differ: start a little before what is stored.
    const cursor =
      stored !== undefined ? Math.max(1, stored - cfg.rewindSeconds * 1_000_000) : cfg.startCursor
    if (this.scope) {
      await this.scope.refresh(this.ctx.db)
      this.scopeTimer = setInterval(() => {
        this.scopeRefresh ??= this.refreshScope().finally(() => (this.scopeRefresh = undefined))
      }, cfg.scopeRefreshMs)
    }
    logger.info({ stored, cursor, url: cfg.jetstreamUrl, scope: cfg.indexScope }, 'firehose starting')
    this.loop = this.run().catch((err) => {
      this.failure = err
      logger.fatal({ err }, 'firehose writer stopped')
    })
    this.source = new JetstreamSource({
      url: cfg.jetstreamUrl,
      wantedCollections: COLLECTIONS,
      cursor,
      logger,
      handlers: {
        onEvent: (event, bytes) => this.onEvent(event, bytes),
        onBadFrame: (reason, detail, timeUs) => {
          this.rejections.record(reject(reason, detail), { timeUs })
          if (timeUs !== undefined && Number.isSafeInteger(timeUs) && timeUs > 0) {
            this.enqueue({ kind: 'skip', timeUs }, 0)
          }
        },
        onConnectionChange: (connected) => {
          this.connected = connected
          this.ctx.metrics.connected.set(connected ? 1 : 0)
        },
      },
    })
    this.source.start()
    this.stats.start()
  }

  /** Closes the socket, commits everything already received (up to `drainMs`), then stops. */
  async stop(drainMs = 10_000): Promise<void> {
    clearInterval(this.scopeTimer)
    await this.scopeRefresh
    await this.source?.close()
    this.draining.abort()
    const timer = setTimeout(() => this.abort.abort(), drainMs)
    try {
      await this.loop
    } finally {
      clearTimeout(timer)
      await this.stats.stop()
    }
  }

  private onEvent(raw: unknown, bytes: number): void {
    const decoded = decodeEvent(raw, bytes, { maxRecordBytes: this.ctx.cfg.maxRecordBytes })
    if ('ok' in decoded) {
      this.rejections.record(decoded, decoded)
      // Still in stream order, so the cursor moves past it with its batch.
      if (decoded.timeUs !== undefined) this.enqueue({ kind: 'skip', timeUs: decoded.timeUs }, bytes)
      return
    }
    this.enqueue(decoded, bytes)
  }

  private enqueue(event: IndexEvent, bytes: number): void {
    this.queue.push(event, bytes)
    if (this.queue.full && this.source && !this.source.paused) {
      this.source.pause()
      this.ctx.metrics.socketPaused.set(1)
      this.ctx.metrics.socketPauses.inc()
    }
  }

  private async run(): Promise<void> {
    const { cfg, metrics, logger } = this.ctx
    const drain = this.draining.signal
    for (;;) {
      await this.queue.waitForBatch(cfg.batchSize, drain.aborted ? 0 : cfg.batchMs, drain)
      if (this.queue.queued === 0) {
        if (drain.aborted) return
        continue
      }
      const batch = this.queue.take(cfg.batchSize)
      metrics.queueDepth.set(this.queue.depth)
      metrics.queueBytes.set(this.queue.heldBytes)
      try {
        await this.writer.write(batch, this.abort.signal)
      } catch (err) {
        if (this.abort.signal.aborted) {
          logger.warn(
            { pending: this.queue.depth },
            'stopped before committing every event; they replay on restart',
          )
          return
        }
        // The writer only gives up when aborted; anything else is a bug worth stopping the process for.
        logger.error({ err }, 'firehose writer failed')
        throw err
      } finally {
        this.queue.settle()
      }
      metrics.queueDepth.set(this.queue.depth)
      metrics.queueBytes.set(this.queue.heldBytes)
      if (this.source?.paused && this.queue.drained) {
        this.source.resume()
        metrics.socketPaused.set(0)
      }
    }
  }

  private async onCommitted({ plan, localFollows, localUnfollows }: CommittedBatch): Promise<void> {
    const { metrics, bus, logger } = this.ctx
    if (plan.cursorUs !== undefined && (this.cursorUs === undefined || plan.cursorUs > this.cursorUs)) {
      this.cursorUs = plan.cursorUs
      metrics.cursorSeconds.set(plan.cursorUs / 1e6)
      metrics.cursorLagSeconds.set(Math.max(0, Date.now() / 1000 - plan.cursorUs / 1e6))
    }
    for (const [key, n] of plan.counts) {
      const [kind, collection] = key.split('|')
      const name = collection || kind
      this.committed.set(name, (this.committed.get(name) ?? 0) + n)
    }
    try {
      for (const f of localFollows) {
        await bus.publish(
          CHANNELS.localFollow,
          JSON.stringify({ follower: f.followerDid, subject: f.subjectDid, op: 'follow' }),
        )
      }
      for (const f of localUnfollows) {
        await bus.publish(
          CHANNELS.localFollow,
          JSON.stringify({ follower: f.followerDid, subject: f.subjectDid, op: 'unfollow' }),
        )
      }
      await bus.publish(CHANNELS.committed, JSON.stringify({ cursor: plan.cursorUs, events: plan.events }))
    } catch (err) {
      logger.warn({ err }, 'could not publish firehose commit on the bus')
    }
  }

  private async refreshScope(): Promise<void> {
    try {
      await this.scope?.refresh(this.ctx.db)
    } catch (err) {
      this.ctx.logger.warn({ err }, 'could not refresh the local index scope')
    }
  }
}
