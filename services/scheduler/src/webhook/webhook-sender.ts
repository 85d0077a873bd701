import type { Db } from '@sundial/common'
import type { PgListener } from '../db/listener.ts'
import { OUTBOX_CHANNEL } from '../db/notify.ts'
import { claimWebhooks, finishWebhook, nextWebhookAt } from '../db/outbox.ts'
import type { OutboxRow } from '../db/outbox.ts'
import type { Logger } from '../logger.ts'
import type { SchedulerMetrics } from '../metrics.ts'
import { WakeTimer } from '../wake-timer.ts'

const MAX_ATTEMPTS = 10
const BATCH = 50
const LEASE_SECONDS = 60
const TIMEOUT_MS = 10_000

/**
 * Delivers the post-publish webhook from the durable outbox: woken by NOTIFY when events are queued and by
 * one timer for the next retry, POSTs JSON, retries failures with backoff (1 s doubling to 1 h, ten
 * attempts) and then gives up, keeping the last error. Failures never affect the drafts.
 */
export class WebhookSender {
  private readonly timer = new WakeTimer(() => this.kick())
  private running: Promise<void> | undefined
  private again = false
  private stopped = false

  constructor(
    private readonly deps: {
      db: Db
      url: string
      log: Logger
      metrics: SchedulerMetrics
      listener: PgListener
      fetch: typeof globalThis.fetch
    },
  ) {}

  async start(): Promise<void> {
    await this.deps.listener.on(OUTBOX_CHANNEL, () => this.kick())
    this.deps.listener.onReconnect(() => this.kick())
    this.kick()
  }

  async destroy(): Promise<void> {
    this.stopped = true
    this.timer.stop()
    await this.running
  }

  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.run()
      .catch((err) => {
        this.deps.log.warn({ err }, 'webhook delivery round failed')
        this.timer.wakeAt(Date.now() + 5000)
      })
      .finally(() => {
        this.running = undefined
        if (this.again) {
          this.again = false
          this.kick()
        }
      })
  }

  private async run(): Promise<void> {
    for (;;) {
      const rows = await claimWebhooks(this.deps.db, BATCH, LEASE_SECONDS)
      await Promise.all(rows.map((row) => this.deliver(row)))
      if (rows.length < BATCH || this.stopped) break
    }
    const next = await nextWebhookAt(this.deps.db)
    if (next) this.timer.wakeAt(Math.max(next.getTime(), Date.now() + 50))
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const { db, metrics, log } = this.deps
    let error: string | undefined
    try {
      const res = await this.deps.fetch(this.deps.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sundial-event': row.event },
        body: JSON.stringify(row.payload),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
      await res.body?.cancel()
      if (!res.ok) error = `HTTP ${res.status}`
    } catch (err) {
      error = (err as Error).message
    }
    if (!error) {
      metrics.webhookDeliveries.inc({ result: 'delivered' })
      await finishWebhook(db, row.id, { delivered: true })
      return
    }
    const giveUp = row.attempts >= MAX_ATTEMPTS
    metrics.webhookDeliveries.inc({ result: giveUp ? 'abandoned' : 'retry' })
    log.warn(
      { event: row.event, draftId: row.draftId, attempts: row.attempts, error },
      'webhook delivery failed',
    )
    const retryAt = giveUp ? null : new Date(Date.now() + Math.min(1000 * 2 ** (row.attempts - 1), 3_600_000))
    await finishWebhook(db, row.id, { delivered: false, retryAt, error })
  }
}
