import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

/** Backfill metrics, registered once on the firehose's registry. */
export class BackfillMetrics {
  /** Jobs in the queue by state (pending, running, done, failed), refreshed from Postgres. */
  readonly jobs: Gauge<'state'>
  /** Jobs this process is working on. */
  readonly inFlight: Gauge
  /** Jobs of this process reading (or waiting to read) a repo, per PDS host (only hosts with some are present). */
  readonly hostInFlight: Gauge<'host'>
  /** Finished jobs by outcome: done, skipped (already current), unavailable (repo gone), failed. */
  readonly finished: Counter<'outcome'>
  /** Failed attempts by kind: retry (will be tried again) or final (the job is marked failed). */
  readonly failures: Counter<'kind'>
  /** Records written (inserted or updated) by backfill, and records removed because the repo no longer has them. */
  readonly records: Counter<'op'>
  /** Records in fetched repos that were skipped as invalid, by reason. */
  readonly invalidRecords: Counter<'reason'>
  /** How repos were read: car (getRepo) or list (listRecords fallback). */
  readonly fetches: Counter<'method'>
  readonly jobSeconds: Histogram
  /** Times gap recovery ran, by trigger (startup: stale cursor; stream: a jump in the stream). */
  readonly gapRecoveries: Counter<'trigger'>
  /** Accounts queued by gap recovery. */
  readonly gapAccounts: Counter

  constructor(registry: Registry) {
    const registers = [registry]
    this.jobs = new Gauge({
      name: 'sundial_backfill_jobs',
      help: 'Backfill jobs by state (pending, running, done, failed)',
      labelNames: ['state'],
      registers,
    })
    this.inFlight = new Gauge({
      name: 'sundial_backfill_in_flight',
      help: 'Backfill jobs this process is working on',
      registers,
    })
    this.hostInFlight = new Gauge({
      name: 'sundial_backfill_host_in_flight',
      help: 'Backfill jobs reading (or waiting to read) a repo, per PDS host (hosts with none are dropped)',
      labelNames: ['host'],
      registers,
    })
    this.finished = new Counter({
      name: 'sundial_backfill_jobs_finished_total',
      help: 'Finished backfill jobs by outcome (done, skipped, unavailable, failed)',
      labelNames: ['outcome'],
      registers,
    })
    this.failures = new Counter({
      name: 'sundial_backfill_failures_total',
      help: 'Failed backfill attempts, by kind (retry: tried again later; final: job marked failed)',
      labelNames: ['kind'],
      registers,
    })
    this.records = new Counter({
      name: 'sundial_backfill_records_total',
      help: 'Records written by backfill (op=write) or removed because the repo no longer holds them (op=delete)',
      labelNames: ['op'],
      registers,
    })
    this.invalidRecords = new Counter({
      name: 'sundial_backfill_invalid_records_total',
      help: 'Records in fetched repos skipped as invalid, by reason',
      labelNames: ['reason'],
      registers,
    })
    this.fetches = new Counter({
      name: 'sundial_backfill_fetches_total',
      help: 'Repos read, by method (car: com.atproto.sync.getRepo; list: com.atproto.repo.listRecords)',
      labelNames: ['method'],
      registers,
    })
    this.jobSeconds = new Histogram({
      name: 'sundial_backfill_job_seconds',
      help: 'Time to run one backfill attempt',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    })
    this.gapRecoveries = new Counter({
      name: 'sundial_backfill_gap_recoveries_total',
      help: 'Gap recoveries (re-backfill of local users and their follows), by trigger (startup, stream)',
      labelNames: ['trigger'],
      registers,
    })
    this.gapAccounts = new Counter({
      name: 'sundial_backfill_gap_accounts_total',
      help: 'Accounts queued for backfill by gap recovery',
      registers,
    })
  }
}
