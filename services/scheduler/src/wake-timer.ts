/**
 * One timer set to the earliest moment anyone asked for: asking for a later moment while an earlier one is
 * pending changes nothing, asking for an earlier one moves it. Used by the loops that sleep until their next
 * piece of work is due (publishing, webhook delivery) instead of polling.
 */
export class WakeTimer {
  private timer: NodeJS.Timeout | undefined
  private at = Number.POSITIVE_INFINITY
  private stopped = false

  constructor(private readonly wake: () => void) {}

  /** Calls `wake` at `at` (ms since the epoch), or sooner if an earlier moment is already set. */
  wakeAt(at: number): void {
    if (this.stopped || (this.timer && at >= this.at)) return
    clearTimeout(this.timer)
    this.at = at
    this.timer = setTimeout(
      () => {
        this.timer = undefined
        this.at = Number.POSITIVE_INFINITY
        this.wake()
      },
      Math.max(0, at - Date.now()),
    )
  }

  /** Cancels the pending wake-up for good. */
  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
