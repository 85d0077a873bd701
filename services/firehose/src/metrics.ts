import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

/** Every firehose metric, registered once on the registry the process shares. */
export class FirehoseMetrics {
  /** Events written, by kind (commit, identity, account), collection and operation. */
  readonly events: Counter<'kind' | 'collection' | 'operation'>
  /** Events skipped, by reason (invalid_did, invalid_record, malformed_json, oversized, …). */
  readonly invalidEvents: Counter<'reason'>
  readonly batchSize: Histogram
  readonly commitSeconds: Histogram
  /** Transactions that failed, by kind: `transient` (retried) or `data` (split to find the bad event). */
  readonly commitErrors: Counter<'kind'>
  readonly cursorLagSeconds: Gauge
  readonly cursorSeconds: Gauge
  readonly queueDepth: Gauge
  readonly queueBytes: Gauge
  readonly socketPaused: Gauge
  readonly socketPauses: Counter
  readonly connected: Gauge

  constructor(registry: Registry) {
    const registers = [registry]
    this.events = new Counter({
      name: 'sundial_firehose_events_total',
      help: 'Jetstream events committed, by kind, collection and operation',
      labelNames: ['kind', 'collection', 'operation'],
      registers,
    })
    this.invalidEvents = new Counter({
      name: 'sundial_firehose_invalid_events_total',
      help: 'Jetstream events or frames skipped as invalid, by reason',
      labelNames: ['reason'],
      registers,
    })
    this.batchSize = new Histogram({
      name: 'sundial_firehose_batch_size',
      help: 'Events per committed batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    })
    this.commitSeconds = new Histogram({
      name: 'sundial_firehose_commit_seconds',
      help: 'Time to write and commit one batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.commitErrors = new Counter({
      name: 'sundial_firehose_commit_errors_total',
      help: 'Failed batch transactions, by kind (transient: retried; data: split to isolate the bad event)',
      labelNames: ['kind'],
      registers,
    })
    this.cursorLagSeconds = new Gauge({
      name: 'sundial_firehose_cursor_lag_seconds',
      help: 'Now minus the time_us of the stored cursor',
      registers,
    })
    this.cursorSeconds = new Gauge({
      name: 'sundial_firehose_cursor_seconds',
      help: 'The stored cursor (time_us of the newest committed event), in seconds since the epoch',
      registers,
    })
    this.queueDepth = new Gauge({
      name: 'sundial_firehose_queue_depth',
      help: 'Events received and not yet committed',
      registers,
    })
    this.queueBytes = new Gauge({
      name: 'sundial_firehose_queue_bytes',
      help: 'Frame bytes of events received and not yet committed',
      registers,
    })
    this.socketPaused = new Gauge({
      name: 'sundial_firehose_socket_paused',
      help: '1 while reading from Jetstream is paused because the queue is full',
      registers,
    })
    this.socketPauses = new Counter({
      name: 'sundial_firehose_socket_pauses_total',
      help: 'Times reading from Jetstream was paused for backpressure',
      registers,
    })
    this.connected = new Gauge({
      name: 'sundial_firehose_connected',
      help: '1 while the Jetstream websocket is open',
      registers,
    })
  }
}
