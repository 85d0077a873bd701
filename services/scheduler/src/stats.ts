import type { Bus } from '@sundial/common'
import type { Logger } from './logger.ts'

export interface LiveNumbers {
  inFlight(): number
  awaitingConfirmation(): number
  wantedDids(): number
  /** Drafts per state across all replicas (from Postgres). */
  draftCounts(): Promise<Record<string, number>>
}

/** A process that stops writing has its numbers fade after this. */
const STATS_TTL_SECONDS = 3600

/**
 * Live numbers for the operator dashboard on the Bus (`bus.setStats('scheduler', …)`), written at most once a
 * second and only after something happened, so an idle scheduler does no work.
 */
export class StatsReporter {
  private published = 0
  private confirmed = 0
  private failed = 0
  private lastLatenessMs = 0
  private lastConfirmMs = 0
  private lastError: { message: string; at: number } | undefined
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  private live: LiveNumbers | undefined

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  attach(live: LiveNumbers): void {
    this.live = live
  }

  onPublished(latenessMs: number | null): void {
    this.published += 1
    if (latenessMs !== null) this.lastLatenessMs = latenessMs
    this.touch()
  }

  onConfirmed(latencyMs: number): void {
    this.confirmed += 1
    this.lastConfirmMs = latencyMs
    this.touch()
  }

  onFailed(reason: string): void {
    this.failed += 1
    this.lastError = { message: reason, at: Date.now() }
    this.touch()
  }

  /** Schedules one write of the numbers (at most one a second). */
  touch(): void {
    if (this.timer || this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.write().catch((err) => this.log.debug({ err }, 'stats not published'))
    }, 1000)
  }

  private async write(): Promise<void> {
    const counts = (await this.live?.draftCounts()) ?? {}
    const fields: Record<string, string | number> = {
      // Per this process (replicas overwrite each other's "last" values, which is what "last" means).
      published: this.published,
      confirmed: this.confirmed,
      failed: this.failed,
      inFlight: this.live?.inFlight() ?? 0,
      awaitingConfirmation: this.live?.awaitingConfirmation() ?? 0,
      wantedDids: this.live?.wantedDids() ?? 0,
      lastLatenessMs: this.lastLatenessMs,
      lastConfirmMs: this.lastConfirmMs,
      // Across replicas, from Postgres.
      scheduled: counts.scheduled ?? 0,
      publishing: counts.publishing ?? 0,
      awaiting: counts.published ?? 0,
      updatedAt: new Date().toISOString(),
    }
    if (this.lastError) {
      fields.lastError = this.lastError.message
      fields.lastErrorAt = this.lastError.at
    }
    await this.bus.setStats('scheduler', fields, STATS_TTL_SECONDS)
  }

  destroy(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }
}
