import { BatchWriter } from './batch/writer.ts'
import type { CommittedBatch } from './batch/writer.ts'
import { DEFAULT_WRITERS } from './config.ts'
import type { AppContext } from './context.ts'
import { laneCursorName, prepareLaneCursors } from './db/cursor.ts'
import { decodeEvent, isValidTimeUs } from './ingest/decode.ts'
import { COLLECTIONS } from './ingest/events.ts'
import type { IndexEvent } from './ingest/events.ts'
import { RejectionLog, reject } from './ingest/rejections.ts'
import { LocalScope } from './scope.ts'
import { StatsPublisher } from './stats.ts'
import { EventQueue } from './stream/event-queue.ts'
import { JetstreamSource } from './stream/jetstream-source.ts'

/** Bus channels the firehose publishes on after each commit. */
export const CHANNELS = {
  /**
   * `{"cursor": time_us, "events": n}` after every committed batch; `cursor` is the stored cursor (the smallest
   * lane's), null until every writer lane has committed once.
   */
  committed: 'firehose.committed',
  /** `{"follower": did, "subject": did, "op": "follow" | "unfollow"}` for follows by local users. */
  localFollow: 'firehose.local-follow',
} as const

/** Events taken off the queue together, held (for backpressure) until every lane has committed its part. */
interface Chunk {
  events: number
  bytes: number
  lanesLeft: number
}

/** One writer lane: its own connection and transactions, the events of the DIDs that hash to it, in order. */
interface Lane {
  writer: BatchWriter
  pending: Array<{ events: IndexEvent[]; chunk: Chunk }>
  pendingEvents: number
  running: Promise<void> | undefined
  /** time_us up to which this lane has committed. */
  committedUs: number | undefined
}

/**
 * Jetstream → Postgres: the socket feeds a bounded queue of decoded events; one loop takes chunks off it and
 * hands each event to a writer lane by a hash of its DID (`FIREHOSE_WRITERS` lanes), so one account's events stay
 * in order on one lane, which commits them in batches with its own cursor. Every lane also gets a cursor-only
 * marker at the end of every chunk, so a lane with nothing to write still moves its cursor, and the stored
 * cursor (the smallest lane cursor) keeps up. Reading pauses while the queue (including what lanes hold) is full.
 */
export class Firehose {
  private queue: EventQueue
  private lanes: Lane[]
  private laneFailure: unknown
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
    const laneNames = Array.from({ length: cfg.writers ?? DEFAULT_WRITERS }, (_, i) => laneCursorName(i))
    this.lanes = laneNames.map((name) => {
      const lane = { pending: [], pendingEvents: 0, running: undefined, committedUs: undefined } as Omit<
        Lane,
        'writer'
      > as Lane
      lane.writer = new BatchWriter({
        db: ctx.db,
        logger,
        metrics,
        rejections: this.rejections,
        // The index scope is applied in stream order as events arrive, before they are split over the lanes.
        lane: { name, lanes: laneNames },
        onCommitted: (batch) => this.onCommitted(lane, batch),
      })
      return lane
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
    const stored = await prepareLaneCursors(this.ctx.db, this.lanes.length)
    this.cursorUs = stored
    for (const lane of this.lanes) lane.committedUs = stored
    // Jetstream replays inclusively and instances' clocks differ: start a little before what is stored.
    const cursor =
      stored !== undefined ? Math.max(1, stored - cfg.rewindSeconds * 1_000_000) : cfg.startCursor
    if (this.scope) {
      await this.scope.refresh(this.ctx.db)
      this.scopeTimer = setInterval(() => {
        this.scopeRefresh ??= this.refreshScope().finally(() => (this.scopeRefresh = undefined))
      }, cfg.scopeRefreshMs)
    }
    logger.info(
      { stored, cursor, url: cfg.jetstreamUrl, scope: cfg.indexScope, writers: this.lanes.length },
      'firehose starting',
    )
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
          if (isValidTimeUs(timeUs)) {
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
    if (this.scope) {
      // Outside the local scope nothing of an event is read: only the cursor moves past it, in stream order.
      const timeUs = outsideScope(this.scope, raw)
      if (timeUs !== undefined) {
        this.enqueue({ kind: 'skip', timeUs }, bytes)
        return
      }
    }
    const decoded = decodeEvent(raw, bytes, { maxRecordBytes: this.ctx.cfg.maxRecordBytes })
    if ('ok' in decoded) {
      this.rejections.record(decoded, decoded)
      // Still in stream order, so the cursor moves past it with its batch.
      if (decoded.timeUs !== undefined) this.enqueue({ kind: 'skip', timeUs: decoded.timeUs }, bytes)
      return
    }
    // In stream order: an account enters the scope with the first event after a local user's follow of it.
    if (decoded.kind === 'write' && decoded.record.collection === 'app.bsky.graph.follow') {
      this.scope?.observeFollow(decoded.did, decoded.record.row.subjectDid)
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
    const { cfg, metrics } = this.ctx
    const drain = this.draining.signal
    for (;;) {
      if (this.laneFailure !== undefined) throw this.laneFailure
      await this.queue.waitForBatch(cfg.batchSize, drain.aborted ? 0 : cfg.batchMs, drain)
      if (this.queue.queued === 0) {
        if (drain.aborted || this.abort.signal.aborted) break
        continue
      }
      this.dispatch(this.queue.takeChunk(cfg.batchSize))
      metrics.queueDepth.set(this.queue.depth)
      metrics.queueBytes.set(this.queue.heldBytes)
      // Never more than a few chunks ahead of the slowest lane: what they hold is committed in order anyway.
      while (!this.abort.signal.aborted && this.laneFailure === undefined) {
        const behind = this.lanes.filter((l) => l.running && l.pendingEvents > 2 * cfg.batchSize)
        if (behind.length === 0) break
        await Promise.race(behind.map((l) => l.running))
      }
    }
    await Promise.all(this.lanes.map((l) => l.running))
    if (this.laneFailure !== undefined) throw this.laneFailure
  }

  /** Splits a chunk over the lanes by DID, each part ending with a marker at the chunk's newest time_us. */
  private dispatch({ events, bytes }: { events: IndexEvent[]; bytes: number }): void {
    const lanes = this.lanes
    const parts: IndexEvent[][] = lanes.map(() => [])
    let newest = 0
    for (const ev of events) {
      if (ev.timeUs > newest) newest = ev.timeUs
      if (ev.kind === 'skip') continue
      const did = ev.kind === 'identity' || ev.kind === 'account' ? ev.row.did : ev.did
      parts[lanes.length === 1 ? 0 : laneOf(did, lanes.length)].push(ev)
    }
    const chunk: Chunk = { events: events.length, bytes, lanesLeft: lanes.length }
    lanes.forEach((lane, i) => {
      parts[i].push({ kind: 'skip', timeUs: newest, marker: true })
      lane.pending.push({ events: parts[i], chunk })
      lane.pendingEvents += parts[i].length
      this.kick(lane)
    })
  }

  private kick(lane: Lane): void {
    if (lane.running) return
    lane.running = this.runLane(lane).catch((err) => {
      this.laneFailure ??= err
      this.draining.abort()
    })
  }

  /** Commits what the lane holds, oldest first, merging pending parts into batches of up to FIREHOSE_BATCH_SIZE. */
  private async runLane(lane: Lane): Promise<void> {
    const { cfg, metrics, logger } = this.ctx
    try {
      while (lane.pending.length > 0) {
        const events: IndexEvent[] = []
        const chunks: Chunk[] = []
        while (
          lane.pending.length > 0 &&
          (events.length === 0 || events.length + lane.pending[0].events.length <= cfg.batchSize)
        ) {
          const part = lane.pending.shift()!
          for (const ev of part.events) events.push(ev)
          chunks.push(part.chunk)
        }
        lane.pendingEvents -= events.length
        try {
          await lane.writer.write(events, this.abort.signal)
        } catch (err) {
          if (this.abort.signal.aborted) {
            logger.warn(
              { pending: this.queue.depth },
              'stopped before committing every event; they replay on restart',
            )
            lane.pending.length = 0
            return
          }
          // The writer only gives up when aborted; anything else is a bug worth stopping the process for.
          logger.error({ err }, 'firehose writer failed')
          throw err
        }
        for (const chunk of chunks) {
          if (--chunk.lanesLeft === 0) this.queue.release(chunk.events, chunk.bytes)
        }
        metrics.queueDepth.set(this.queue.depth)
        metrics.queueBytes.set(this.queue.heldBytes)
        if (this.source?.paused && this.queue.drained) {
          this.source.resume()
          metrics.socketPaused.set(0)
        }
      }
    } finally {
      // Synchronously with the loop's end, so a part pushed from now on starts a new run.
      lane.running = undefined
    }
  }

  private async onCommitted(
    lane: Lane,
    { plan, localFollows, localUnfollows }: CommittedBatch,
  ): Promise<void> {
    const { metrics, bus, logger } = this.ctx
    if (plan.cursorUs !== undefined && (lane.committedUs === undefined || plan.cursorUs > lane.committedUs)) {
      lane.committedUs = plan.cursorUs
    }
    // Stored is the smallest lane cursor: everything up to it is committed on every lane.
    let stored: number | undefined = Infinity
    for (const l of this.lanes) {
      if (l.committedUs === undefined) stored = undefined
      else if (stored !== undefined) stored = Math.min(stored, l.committedUs)
    }
    if (stored !== undefined && (this.cursorUs === undefined || stored > this.cursorUs)) {
      this.cursorUs = stored
      metrics.cursorSeconds.set(stored / 1e6)
      metrics.cursorLagSeconds.set(Math.max(0, Date.now() / 1000 - stored / 1e6))
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
      await bus.publish(
        CHANNELS.committed,
        JSON.stringify({ cursor: this.cursorUs ?? null, events: plan.events }),
      )
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

/** The writer lane of a DID: FNV-1a of its characters, modulo the lane count. */
export function laneOf(did: string, lanes: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < did.length; i++) hash = Math.imul(hash ^ did.charCodeAt(i), 0x01000193)
  return (hash >>> 0) % lanes
}

/** The event's time when the event is by an account outside the local scope; undefined: decode it. */
function outsideScope(scope: LocalScope, raw: unknown): number | undefined {
  const ev = raw as { did?: unknown; time_us?: unknown } | null
  if (typeof ev?.did !== 'string' || scope.admits(ev.did)) return undefined
  // A bad time goes through decoding, to be counted as a rejection.
  return isValidTimeUs(ev.time_us) ? ev.time_us : undefined
}
