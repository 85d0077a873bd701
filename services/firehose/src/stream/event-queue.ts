import type { IndexEvent } from '../ingest/events.ts'

export interface EventQueueOptions {
  /** Events held (queued and being written) above which the source should pause. */
  maxEvents: number
  /** Frame bytes held above which the source should pause. */
  maxBytes: number
}

/**
 * Decoded events waiting to be written, in stream order. It never refuses an event (frames already read keep
 * arriving for a moment after a pause); `full` tells the reader to stop, `drained` when to start again.
 */
export class EventQueue {
  private events: IndexEvent[] = []
  private bytes: number[] = []
  private arrivedAt: number[] = []
  private head = 0
  private queuedBytes = 0
  private inFlightEvents = 0
  private inFlightBytes = 0
  private wake: (() => void) | undefined
  private wakeAt = Infinity

  constructor(private opts: EventQueueOptions) {}

  /** Events received and not yet committed (queued plus the batch being written). */
  get depth(): number {
    return this.events.length - this.head + this.inFlightEvents
  }

  get heldBytes(): number {
    return this.queuedBytes + this.inFlightBytes
  }

  get queued(): number {
    return this.events.length - this.head
  }

  get full(): boolean {
    return this.depth >= this.opts.maxEvents || this.heldBytes >= this.opts.maxBytes
  }

  /** Below half of both bounds: reading can resume without bouncing straight back to full. */
  get drained(): boolean {
    return this.depth <= this.opts.maxEvents / 2 && this.heldBytes <= this.opts.maxBytes / 2
  }

  push(event: IndexEvent, bytes: number): void {
    this.events.push(event)
    this.bytes.push(bytes)
    this.arrivedAt.push(Date.now())
    this.queuedBytes += bytes
    if (this.wake && (this.queued >= this.wakeAt || this.queued === 1)) this.notify()
  }

  /** Moves up to `max` events out of the queue into the in-flight batch. */
  take(max: number): IndexEvent[] {
    const end = Math.min(this.events.length, this.head + max)
    const batch = this.events.slice(this.head, end)
    let bytes = 0
    for (let i = this.head; i < end; i++) bytes += this.bytes[i]
    this.head = end
    this.queuedBytes -= bytes
    this.inFlightEvents += batch.length
    this.inFlightBytes += bytes
    if (this.head > 4096 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head)
      this.bytes = this.bytes.slice(this.head)
      this.arrivedAt = this.arrivedAt.slice(this.head)
      this.head = 0
    }
    return batch
  }

  /** The in-flight batch is committed (or abandoned): it no longer counts as held. */
  settle(): void {
    this.inFlightEvents = 0
    this.inFlightBytes = 0
  }

  /**
   * As take, for callers with several batches in flight at once: returns the batch with its frame bytes, which
   * stay counted as held until `release`d.
   */
  takeChunk(max: number): { events: IndexEvent[]; bytes: number } {
    const before = this.inFlightBytes
    const events = this.take(max)
    return { events, bytes: this.inFlightBytes - before }
  }

  /** One batch from takeChunk is committed (or abandoned). */
  release(events: number, bytes: number): void {
    this.inFlightEvents -= events
    this.inFlightBytes -= bytes
  }

  /**
   * Resolves when `size` events are queued, when the oldest queued event has waited `maxWaitMs`, or when `signal`
   * aborts: a full batch goes at once, a trickle within `maxWaitMs`.
   */
  async waitForBatch(size: number, maxWaitMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.queued >= size) return
      let timeoutMs: number | undefined
      if (this.queued > 0) {
        const waited = Date.now() - this.arrivedAt[this.head]
        if (waited >= maxWaitMs) return
        timeoutMs = maxWaitMs - waited
      }
      await this.waitForPush(size, timeoutMs, signal)
    }
  }

  private waitForPush(size: number, timeoutMs: number | undefined, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        this.wake = undefined
        this.wakeAt = Infinity
        resolve()
      }
      const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs)
      signal.addEventListener('abort', done, { once: true })
      this.wake = done
      this.wakeAt = size
    })
  }

  private notify(): void {
    this.wake?.()
  }
}
