import PQueue from 'p-queue'
import type { Logger } from './logger.ts'

/**
 * Bounded queue for background work: errors are logged, never thrown into the void; `add` refuses work when
 * full or destroyed instead of growing without limit; `destroy` waits for what is running.
 */
export class BackgroundQueue {
  private readonly queue: PQueue
  private destroyed = false

  constructor(
    private readonly log: Logger,
    opts: { concurrency?: number; maxPending?: number } = {},
  ) {
    this.queue = new PQueue({ concurrency: opts.concurrency ?? 1 })
    this.maxPending = opts.maxPending ?? 10_000
  }

  private readonly maxPending: number

  get size(): number {
    return this.queue.size + this.queue.pending
  }

  /** Returns false when the task was refused (queue full or shutting down). */
  add(name: string, task: () => Promise<void>): boolean {
    if (this.destroyed || this.queue.size >= this.maxPending) {
      this.log.warn({ task: name, destroyed: this.destroyed }, 'background task refused')
      return false
    }
    this.queue
      .add(async () => {
        try {
          await task()
        } catch (err) {
          this.log.error({ err, task: name }, 'background task failed')
        }
      })
      .catch(() => undefined)
    return true
  }

  async processAll(): Promise<void> {
    await this.queue.onIdle()
  }

  async destroy(): Promise<void> {
    this.destroyed = true
    await this.queue.onIdle()
  }
}
