export interface WriteLaneOptions<Unit, Result> {
  /** Most work (by `sizeOf`) taken into one run; a single larger unit still runs alone. */
  maxSize: number
  sizeOf(unit: Unit): number
  /** Does the units together (one transaction); a result per unit, in order. */
  run(units: Unit[]): Promise<Result[]>
  /** Whether a failed run may be retried unit by unit (the error came from one unit's data). */
  separable(err: unknown): boolean
}

interface Pending<Unit, Result> {
  unit: Unit
  signal: AbortSignal
  resolve(result: Result): void
  reject(err: unknown): void
  onAbort(): void
}

/**
 * Runs units of work one run at a time, each run taking every unit that queued up meanwhile (up to `maxSize`):
 * while one transaction is in Postgres, the next one gathers the batches of every job that is ready, so many
 * small accounts share a transaction's fixed costs (its locks, round trips and fan-out queries) instead of each
 * paying them. A run that fails on one unit's data is retried unit by unit, so only that unit's caller sees it.
 */
export class WriteLane<Unit, Result> {
  private queue: Array<Pending<Unit, Result>> = []
  private running = false

  constructor(private opts: WriteLaneOptions<Unit, Result>) {}

  /** Queues a unit; an abort before it is taken into a run withdraws it. */
  submit(unit: Unit, signal: AbortSignal): Promise<Result> {
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise<Result>((resolve, reject) => {
      const pending: Pending<Unit, Result> = {
        unit,
        signal,
        resolve,
        reject,
        onAbort: () => {
          const i = this.queue.indexOf(pending)
          if (i < 0) return
          this.queue.splice(i, 1)
          reject(signal.reason)
        },
      }
      signal.addEventListener('abort', pending.onAbort, { once: true })
      this.queue.push(pending)
      void this.drain()
    })
  }

  private async drain(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      while (this.queue.length > 0) await this.runTogether(this.take())
    } finally {
      this.running = false
    }
  }

  private take(): Array<Pending<Unit, Result>> {
    let size = 0
    let n = 0
    while (n < this.queue.length) {
      const next = this.opts.sizeOf(this.queue[n].unit)
      if (n > 0 && size + next > this.opts.maxSize) break
      size += next
      n++
    }
    const taken = this.queue.splice(0, n)
    for (const p of taken) p.signal.removeEventListener('abort', p.onAbort)
    return taken
  }

  private async runTogether(taken: Array<Pending<Unit, Result>>): Promise<void> {
    let results: Result[]
    try {
      results = await this.opts.run(taken.map((p) => p.unit))
    } catch (err) {
      if (taken.length > 1 && this.opts.separable(err)) {
        for (const p of taken) await this.runTogether([p])
      } else {
        for (const p of taken) p.reject(err)
      }
      return
    }
    taken.forEach((p, i) => p.resolve(results[i]))
  }
}
