import type { DraftRow } from '../db/drafts.ts'
import { completePublished } from './complete.ts'
import type { CompletionDeps, PublishedItem } from './complete.ts'

const MAX_BATCH = 200

interface Waiting {
  item: PublishedItem
  resolve(row: DraftRow | undefined): void
  reject(err: unknown): void
}

/**
 * Group commit for acknowledged publishes: while one transaction records a batch, the publishes that finish
 * meanwhile queue up and go in the next one. Under light load every publish is its own batch (no added
 * delay); under heavy load the database round trips per publish fall with the batch size.
 */
export class CompletionBatcher {
  private waiting: Waiting[] = []
  private running: Promise<void> | undefined

  constructor(private readonly deps: CompletionDeps) {}

  /** Resolves with the recorded row, or undefined when the lease had been lost. */
  submit(item: PublishedItem): Promise<DraftRow | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject })
      this.running ??= this.run().finally(() => (this.running = undefined))
    })
  }

  async drained(): Promise<void> {
    while (this.running) await this.running
  }

  private async run(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH)
      try {
        const rows = await completePublished(
          this.deps,
          batch.map((w) => w.item),
        )
        for (const w of batch) w.resolve(rows.get(w.item.draft.id))
      } catch (err) {
        for (const w of batch) w.reject(err)
      }
    }
  }
}
