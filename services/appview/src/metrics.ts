import { Counter, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

/** Every AppView metric, registered once on the registry the process shares. */
export class AppViewMetrics {
  /** XRPC requests by method (our methods only; anything else is `other`) and status code. */
  readonly requests: Counter<'method' | 'status'>
  readonly requestSeconds: Histogram<'method'>
  /** Viewers made local users by their first authenticated read. */
  readonly localUsersRegistered: Counter

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
  }
}
