import type { Bus } from '@sundial/common'
import type { Logger } from './logger.ts'

export interface LiveNumbers {
  inFlight(): number
  awaitingConfirmation(): number
  wantedDids(): number
}

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

  onFailed(): void {
    this.failed += 1
    this.touch()
  }

  private touch(): void {
    if (this.timer || this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.bus
        .setStats('scheduler', {
          published: this.published,
          confirmed: this.confirmed,
          failed: this.failed,
          inFlight: this.live?.inFlight() ?? 0,
          awaitingConfirmation: this.live?.awaitingConfirmation() ?? 0,
          wantedDids: this.live?.wantedDids() ?? 0,
          lastLatenessMs: this.lastLatenessMs,
          lastConfirmMs: this.lastConfirmMs,
          updatedAt: new Date().toISOString(),
        })
        .catch((err) => this.log.debug({ err }, 'stats not published'))
    }, 1000)
  }

  destroy(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }
}
