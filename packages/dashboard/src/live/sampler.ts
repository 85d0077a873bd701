import type { Bus, Db, Logger } from '@sundial/common'
import type { BackfillSource } from '../data/backfill.ts'
import { countActiveDrafts, readCursors } from '../data/queries.ts'
import { readServiceStats } from '../data/service-stats.ts'
import type { ServiceStats } from '../data/service-stats.ts'
import { Ring } from './ring.ts'

/** One point of the last hour's charts. */
export interface Sample {
  /** ms since the epoch */
  t: number
  /** Events per second the firehose committed (its own last stats period), all collections. */
  ingestPerSec: number | null
  /** The same, by collection (short name: post, like, …). */
  byCollection: Record<string, number>
  /** now − the firehose's stored cursor. */
  cursorLagMs: number | null
  backfillDepth: number | null
  backfillInFlight: number | null
  draftsPublishing: number | null
  draftsScheduled: number | null
}

export interface SamplerOptions {
  /** Default 2 s, the page's polling period. */
  intervalMs?: number
  /** Default one hour. */
  windowMs?: number
  /** Name of the firehose's row in the `cursor` table; default `firehose` (else the first row). */
  cursorName?: string
}

/**
 * Takes a sample of the cheap live numbers (Bus stats and the cursor row) every interval and keeps an hour of
 * them in memory, so the charts have a history from the moment the page opens.
 */
export class LiveSampler {
  readonly intervalMs: number
  private readonly ring: Ring<Sample>
  private readonly cursorName: string
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private stats: ServiceStats | undefined

  constructor(
    private readonly deps: { db: Db; bus: Bus; logger: Logger; backfill: BackfillSource },
    opts: SamplerOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 2000
    const windowMs = opts.windowMs ?? 60 * 60 * 1000
    this.ring = new Ring(Math.ceil(windowMs / this.intervalMs) + 1)
    this.cursorName = opts.cursorName ?? 'firehose'
  }

  start(): void {
    if (this.timer) return
    this.timer = setInterval(() => void this.tick(), this.intervalMs)
    this.timer.unref()
    void this.tick()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }

  /** Takes one sample now (skipped if the previous one is still being taken). */
  async tick(): Promise<void> {
    if (this.running) return this.running
    this.running = this.sample()
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'dashboard sample failed'))
      .finally(() => {
        this.running = undefined
      })
    return this.running
  }

  samples(sinceMs = 0): Sample[] {
    return this.ring.toArray().filter((s) => s.t > sinceMs)
  }

  latest(): Sample | undefined {
    return this.ring.last()
  }

  /** The Bus stats read by the last sample. */
  latestStats(): ServiceStats | undefined {
    return this.stats
  }

  private async sample(): Promise<void> {
    const t = Date.now()
    // Each source is optional: a table that is not there, or a service not running, leaves a gap in its line.
    const [stats, cursors, backfill, drafts] = await Promise.all([
      readServiceStats(this.deps.bus),
      readCursors(this.deps.db).catch(() => []),
      this.deps.backfill.counts().catch(() => null),
      countActiveDrafts(this.deps.db).catch(() => null),
    ])
    this.stats = stats

    const cursor = cursors.find((c) => c.name === this.cursorName) ?? cursors[0]
    const cursorUs = stats.firehose.cursorUs ?? cursor?.timeUs
    this.ring.push({
      t,
      ingestPerSec: stats.firehose.totalPerSec,
      byCollection: stats.firehose.ratesPerSec,
      cursorLagMs: cursorUs ? Math.max(0, t - Math.floor(cursorUs / 1000)) : null,
      backfillDepth: backfill?.pending ?? stats.backfill.depth,
      backfillInFlight: backfill?.running ?? stats.backfill.inFlight,
      draftsPublishing: drafts?.publishing ?? stats.scheduler.publishing,
      draftsScheduled: drafts?.scheduled ?? stats.scheduler.scheduled,
    })
  }
}
