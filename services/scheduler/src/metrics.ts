import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

export const DRAFT_STATUSES = [
  'draft',
  'scheduled',
  'publishing',
  'published',
  'confirmed',
  'failed',
  'cancelled',
] as const

export interface SchedulerMetrics {
  draftsByStatus: Gauge<'status'>
  publishes: Counter<'result'>
  lateness: Histogram
  publishDuration: Histogram
  confirmLatency: Histogram
  confirmations: Counter<'result'>
  wakeups: Counter
  webhookDeliveries: Counter<'result'>
  jetstreamEvents: Counter
  wantedDids: Gauge
}

/**
 * Declared once, on the registry passed in (the all-in-one process shares one). `countDrafts` feeds the
 * per-state gauge at scrape time, so the numbers come from Postgres and agree across replicas.
 */
export function createSchedulerMetrics(
  registry: Registry,
  countDrafts: () => Promise<Record<string, number>>,
): SchedulerMetrics {
  return {
    draftsByStatus: new Gauge({
      name: 'sundial_scheduler_drafts',
      help: 'Drafts by state',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        const counts = await countDrafts().catch(() => null)
        if (!counts) return
        for (const status of DRAFT_STATUSES) this.set({ status }, counts[status] ?? 0)
      },
    }),
    publishes: new Counter({
      name: 'sundial_scheduler_publishes_total',
      help: 'Publish attempts by outcome (published, retry, failed, lost_lease)',
      labelNames: ['result'],
      registers: [registry],
    }),
    lateness: new Histogram({
      name: 'sundial_scheduler_lateness_seconds',
      help: 'Time from a draft falling due to its write being sent to the PDS',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    publishDuration: new Histogram({
      name: 'sundial_scheduler_publish_duration_seconds',
      help: 'Time spent publishing one draft (blob uploads and the write)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers: [registry],
    }),
    confirmLatency: new Histogram({
      name: 'sundial_scheduler_confirm_latency_seconds',
      help: 'Time from the PDS acknowledging a write to seeing it on Jetstream',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    confirmations: new Counter({
      name: 'sundial_scheduler_confirmations_total',
      help: 'Publishes confirmed on Jetstream, or found unconfirmed after the timeout',
      labelNames: ['result'],
      registers: [registry],
    }),
    wakeups: new Counter({
      name: 'sundial_scheduler_wakeups_total',
      help: 'Times the publisher woke to claim due drafts',
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'sundial_scheduler_webhook_deliveries_total',
      help: 'Post-publish webhook deliveries by outcome',
      labelNames: ['result'],
      registers: [registry],
    }),
    jetstreamEvents: new Counter({
      name: 'sundial_scheduler_jetstream_events_total',
      help: 'Jetstream commit events received for watched accounts',
      registers: [registry],
    }),
    wantedDids: new Gauge({
      name: 'sundial_scheduler_wanted_dids',
      help: 'Accounts the Jetstream subscription is narrowed to',
      registers: [registry],
    }),
  }
}
