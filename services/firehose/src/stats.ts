import type { AppContext } from './context.ts'

export interface LiveNumbers {
  cursorUs: number | undefined
  queueDepth: number
  connected: boolean
  paused: boolean
  /** Events committed since start, by collection (or `identity` / `account`). */
  committed: ReadonlyMap<string, number>
}

/** Bus key the dashboard reads: `bus.getStats('firehose')`. */
export const STATS_KEY = 'firehose'

/**
 * Publishes live numbers on the bus every `statsMs`: events/s overall and per collection, cursor, lag, queue
 * depth. Values are strings in one flat hash (`eventsPerSec.app.bsky.feed.like`, …).
 */
export class StatsPublisher {
  private timer: NodeJS.Timeout | undefined
  private last = new Map<string, number>()
  private lastAt = Date.now()
  private publishing: Promise<void> | undefined

  constructor(
    private ctx: AppContext,
    private read: () => LiveNumbers,
  ) {}

  start(): void {
    this.lastAt = Date.now()
    this.timer = setInterval(() => {
      if (!this.publishing) this.publishing = this.publish().finally(() => (this.publishing = undefined))
    }, this.ctx.cfg.statsMs)
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.publishing
  }

  /** One round of numbers: updates the lag gauge and the bus hash. */
  async publish(): Promise<void> {
    const now = Date.now()
    const numbers = this.read()
    const seconds = Math.max(0.001, (now - this.lastAt) / 1000)
    const fields: Record<string, string | number> = {
      queueDepth: numbers.queueDepth,
      connected: numbers.connected ? 1 : 0,
      paused: numbers.paused ? 1 : 0,
      updatedAt: new Date(now).toISOString(),
    }
    let total = 0
    for (const [collection, count] of numbers.committed) {
      const delta = count - (this.last.get(collection) ?? 0)
      total += delta
      fields[`eventsPerSec.${collection}`] = round(delta / seconds)
      this.last.set(collection, count)
    }
    fields.eventsPerSec = round(total / seconds)
    this.lastAt = now
    if (numbers.cursorUs !== undefined) {
      const lagSeconds = Math.max(0, now / 1000 - numbers.cursorUs / 1e6)
      this.ctx.metrics.cursorLagSeconds.set(lagSeconds)
      fields.cursor = numbers.cursorUs
      fields.cursorLagSeconds = round(lagSeconds)
    }
    try {
      await this.ctx.bus.setStats(
        STATS_KEY,
        fields,
        Math.max(10, Math.ceil((this.ctx.cfg.statsMs * 5) / 1000)),
      )
    } catch (err) {
      this.ctx.logger.warn({ err }, 'could not publish firehose stats')
    }
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}
