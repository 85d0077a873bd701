import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

/** What the metrics read from the database pool (pg.Pool has these). */
export interface PoolCounts {
  totalCount: number
  idleCount: number
  waitingCount: number
}

/** Every AppView metric, registered once on the registry the process shares. */
export class AppViewMetrics {
  /** XRPC requests by method (our methods only; anything else is `other`) and status code. */
  readonly requests: Counter<'method' | 'status'>
  readonly requestSeconds: Histogram<'method'>
  /** Viewers made local users by their first authenticated read. */
  readonly localUsersRegistered: Counter
  /** Database connections in use, idle, and queries waiting for one (requests queueing on the pool). */
  readonly dbPool: Gauge<'state'>
  private pool: PoolCounts | undefined

  constructor(registry: Registry) {
    const registers = [registry]
    this.requests = new Counter({
      name: 'sundial_appview_requests_total',
      help: 'XRPC requests served, by method and status code',
      labelNames: ['method', 'status'],
      registers,
    })
    this.requestSeconds = new Histogram({
      name: 'sundial_appview_request_seconds',
      help: 'XRPC request latency, by method',
      labelNames: ['method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    })
    this.localUsersRegistered = new Counter({
      name: 'sundial_appview_local_users_registered_total',
      help: 'Viewers whose materialised timeline was built on their first authenticated read',
      registers,
    })
    const currentPool = () => this.pool
    this.dbPool = new Gauge({
      name: 'sundial_appview_db_pool',
      help: 'Database pool: connections in use and idle, and queries waiting for a connection',
      labelNames: ['state'],
      registers,
      collect() {
        const pool = currentPool()
        if (!pool) return
        this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount)
        this.set({ state: 'idle' }, pool.idleCount)
        this.set({ state: 'waiting' }, pool.waitingCount)
      },
    })
  }

  /** Reports this pool in `sundial_appview_db_pool` (read at each scrape). */
  observePool(pool: PoolCounts): void {
    this.pool = pool
  }
}
