import { enqueueOnboarding, registerLocalUser } from '@sundial/common'
import type { Db } from '@sundial/common'
import type { AppViewMetrics } from './metrics.ts'

export interface LocalUsersOptions {
  /** How often a returning viewer's `last_seen_at` is refreshed. Default 5 minutes. */
  touchIntervalMs?: number
  /** Viewers remembered in memory between refreshes. Default 50,000. */
  maxRemembered?: number
}

/**
 * Makes authenticated viewers local users without a database write on every read (a viewer seen recently is
 * remembered in memory). A new local user's timeline is built from what is already indexed, and the backfill
 * worker is asked to fetch their repo and their follows' history (what Sundial never saw).
 */
export class LocalUsers {
  private seen = new Map<string, number>()
  private inFlight = new Map<string, Promise<void>>()
  private touchIntervalMs: number
  private maxRemembered: number

  constructor(
    private db: Db,
    private metrics: AppViewMetrics,
    opts: LocalUsersOptions = {},
  ) {
    this.touchIntervalMs = opts.touchIntervalMs ?? 5 * 60_000
    this.maxRemembered = opts.maxRemembered ?? 50_000
  }

  async ensure(did: string): Promise<void> {
    const last = this.seen.get(did)
    if (last !== undefined && Date.now() - last < this.touchIntervalMs) return
    // Concurrent first reads share one registration instead of racing to build the same timeline.
    let pending = this.inFlight.get(did)
    if (!pending) {
      pending = this.register(did).finally(() => this.inFlight.delete(did))
      this.inFlight.set(did, pending)
    }
    await pending
  }

  private async register(did: string): Promise<void> {
    const { created } = await registerLocalUser(this.db, did)
    if (created) {
      this.metrics.localUsersRegistered.inc()
      await enqueueOnboarding(this.db, did)
    }
    this.seen.delete(did)
    this.seen.set(did, Date.now())
    if (this.seen.size > this.maxRemembered) {
      const oldest = this.seen.keys().next().value
      if (oldest !== undefined) this.seen.delete(oldest)
    }
  }
}
