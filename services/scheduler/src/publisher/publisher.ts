import PQueue from 'p-queue'
import type { Db } from '@sundial/common'
import type { SchedulerConfig } from '../config.ts'
import { claimDueDrafts, nextWakeTimes, releaseLeases } from '../db/drafts.ts'
import type { ClaimedDraft, DraftRow } from '../db/drafts.ts'
import type { PgListener } from '../db/listener.ts'
import { WAKE_CHANNEL } from '../db/notify.ts'
import { getSchedule } from '../db/schedules.ts'
import type { Logger } from '../logger.ts'
import type { SchedulerMetrics } from '../metrics.ts'
import type { OutboundAuth } from '../outbound/outbound-auth.ts'
import type { PdsClient } from '../outbound/pds-client.ts'
import { backoffDelayMs, classifyPdsError } from '../outbound/pds-errors.ts'
import type { JsonRecord } from '../records/record-cid.ts'
import type { TidGenerator } from '../records/tid.ts'
import { completeFailed, completeRetry } from './complete.ts'
import type { CompletionDeps } from './complete.ts'
import { CompletionBatcher } from './completion-batcher.ts'
import { fetchDynamicContent } from './dynamic-content.ts'
import { publishToPds } from './publish-draft.ts'
import type { PublishOutcome, PublishedOp } from './publish-draft.ts'
import { WakeTimer } from '../wake-timer.ts'

/** What the publisher needs from confirmation tracking. */
export interface ConfirmationTracker {
  /** Narrow-in the Jetstream subscription to these accounts before their writes go out. */
  watch(dids: string[]): void
  unwatch(did: string): void
  /** A draft was recorded as published: start waiting for its commits (call before releasing its watch). */
  track(draft: DraftRow, ops: PublishedOp[], landedEarlier: boolean): void
}

export interface PublisherEvents {
  published(draft: DraftRow, latenessMs: number | null): void
  failed(draft: DraftRow): void
}

export interface PublisherDeps {
  db: Db
  cfg: SchedulerConfig
  log: Logger
  metrics: SchedulerMetrics
  outbound: OutboundAuth
  tracker: ConfirmationTracker
  tids: TidGenerator
  listener: PgListener
  instanceId: string
  fetch: typeof globalThis.fetch
  events?: Partial<PublisherEvents>
}

/** Pause before re-trying a claim that found due rows it could not take (locked by another replica). */
const CONTENDED_RETRY_MS = 50
const CLAIM_BATCH = 250

/**
 * Publishes due drafts. It sleeps on a single timer set to the next due draft and is woken early by
 * Postgres NOTIFY when any replica adds or reschedules one; there is no polling loop. Due drafts are leased
 * with SKIP LOCKED, claimed a little ahead of time and sent at their exact due moment, through a global
 * concurrency limit and a per-PDS-host limit, so one slow PDS only delays its own users.
 */
export class Publisher {
  private readonly timer = new WakeTimer(() => this.requestDrain())
  private draining: Promise<void> | undefined
  private drainRequested = false
  private backlog = false
  private lastClaimAt = 0
  private stopped = false
  private readonly inFlight = new Map<string, ClaimedDraft>()
  private readonly started = new Set<string>()
  private readonly perHostPending = new Map<string, number>()
  private readonly hostQueues = new Map<string, PQueue>()
  private readonly global: PQueue
  private readonly tasks = new Set<Promise<void>>()
  private readonly sleepers = new Set<() => void>()
  private readonly maxInFlight: number
  private readonly completion: CompletionDeps
  private readonly completions: CompletionBatcher

  constructor(private readonly deps: PublisherDeps) {
    this.global = new PQueue({ concurrency: deps.cfg.publishConcurrency })
    this.maxInFlight = Math.max(deps.cfg.publishConcurrency * 8, 256)
    this.completion = {
      db: deps.db,
      tids: deps.tids,
      leaseOwner: deps.instanceId,
      webhooks: !!deps.cfg.postPublishWebhookUrl,
    }
    this.completions = new CompletionBatcher(this.completion)
  }

  get inFlightCount(): number {
    return this.inFlight.size
  }

  async start(): Promise<void> {
    const { listener, cfg, db, log } = this.deps
    await listener.on(WAKE_CHANNEL, (payload) => this.onWake(Number(payload)))
    listener.onReconnect(() => this.requestDrain())
    if (cfg.instanceId) {
      // Same name as before a restart: whatever we held then was interrupted, take it back now.
      const n = await releaseLeases(db, this.deps.instanceId)
      if (n > 0) log.info({ drafts: n }, 'released leases held before restart')
    }
    this.requestDrain()
  }

  /** Stops claiming, gives back drafts not yet started, and waits for the writes under way. */
  async destroy(): Promise<void> {
    this.stopped = true
    this.timer.stop()
    for (const wake of this.sleepers) wake()
    await this.draining
    const notStarted = [...this.inFlight.keys()].filter((id) => !this.started.has(id))
    await Promise.allSettled([...this.tasks])
    await this.completions.drained()
    await releaseLeases(this.deps.db, this.deps.instanceId, notStarted).catch((err) =>
      this.deps.log.warn({ err }, 'could not release leases on shutdown'),
    )
  }

  /** Any replica committed a draft that becomes actionable at `ms`. */
  private onWake(ms: number): void {
    if (!Number.isFinite(ms)) return this.requestDrain()
    const claimAt = ms - this.deps.cfg.claimLookaheadMs
    if (claimAt <= Date.now()) this.requestDrain()
    else this.timer.wakeAt(claimAt)
  }

  requestDrain(): void {
    if (this.stopped) return
    if (this.draining) {
      this.drainRequested = true
      return
    }
    this.draining = this.drainLoop()
      .catch((err) => {
        this.deps.log.error({ err }, 'publisher drain failed')
        // The database may be briefly unavailable: try again soon rather than sleeping forever.
        this.timer.wakeAt(Date.now() + 1000)
      })
      .finally(() => {
        this.draining = undefined
        if (this.drainRequested) this.requestDrain()
      })
  }

  private async drainLoop(): Promise<void> {
    this.deps.metrics.wakeups.inc()
    let contended = false
    do {
      this.drainRequested = false
      contended = await this.claimAndDispatch()
    } while (this.drainRequested && !this.stopped)
    await this.planTimer(contended)
  }

  /** Claims as much due work as there is room for; true when due rows were left behind (locked elsewhere). */
  private async claimAndDispatch(): Promise<boolean> {
    const { cfg, db, instanceId } = this.deps
    for (;;) {
      if (this.stopped) return false
      const free = this.maxInFlight - this.inFlight.size
      if (free <= 0) {
        this.backlog = true
        return false
      }
      const saturated = [...this.perHostPending.entries()]
        .filter(([, n]) => n >= cfg.publishConcurrencyPerHost * 4)
        .map(([host]) => host)
      const limit = Math.min(free, CLAIM_BATCH)
      this.lastClaimAt = Date.now()
      const rows = await claimDueDrafts(db, {
        owner: instanceId,
        leaseSeconds: cfg.leaseSeconds,
        horizon: new Date(Date.now() + cfg.claimLookaheadMs),
        limit,
        excludePdsUrls: saturated,
      })
      // One watch per draft: each is released once when its publish is recorded or given up.
      if (rows.length > 0) this.deps.tracker.watch(rows.map((r) => r.ownerDid))
      for (const row of rows) this.deps.outbound.prime(row.ownerDid, row.credential)
      for (const row of rows) this.dispatch(row)
      if (rows.length < limit) {
        this.backlog = saturated.length > 0
        return false
      }
    }
  }

  private async planTimer(contended: boolean): Promise<void> {
    if (this.stopped) return
    const next = await nextWakeTimes(this.deps.db)
    const candidates: number[] = []
    if (next.scheduled) candidates.push(next.scheduled.getTime() - this.deps.cfg.claimLookaheadMs)
    if (next.leaseExpiry) candidates.push(next.leaseExpiry.getTime())
    if (candidates.length === 0) return
    let at = Math.min(...candidates)
    // Rows already due but not claimed are held by another replica's open claim, or wait for a full host
    // queue (whose completions wake us): check back shortly instead of spinning.
    if (at <= Date.now()) at = Date.now() + (contended || this.inFlight.size === 0 ? CONTENDED_RETRY_MS : 250)
    // A steady stream of due drafts is claimed in rounds half a lookahead apart, each taking what falls due in
    // the next lookahead window, rather than one claim per draft; every draft is still claimed at least half a
    // lookahead before it is due. (NOTIFY of a draft due sooner still wakes us at once.)
    at = Math.max(at, this.lastClaimAt + this.deps.cfg.claimLookaheadMs / 2)
    this.timer.wakeAt(at)
  }

  private dispatch(row: ClaimedDraft): void {
    const host = hostKey(row.pdsUrl)
    this.inFlight.set(row.id, row)
    this.perHostPending.set(host, (this.perHostPending.get(host) ?? 0) + 1)
    const claimedAt = Date.now()
    const task = (async () => {
      try {
        const due = (row.nextAttemptAt ?? row.scheduledAt ?? new Date()).getTime()
        await this.sleepUntil(due)
        if (this.stopped) return
        await this.hostQueue(host).add(() => this.global.add(() => this.publishOne(row, claimedAt)))
      } catch (err) {
        this.deps.log.error({ err, draftId: row.id }, 'publish task failed')
      } finally {
        // Released once per claimed draft; a published one stays watched as long as it awaits confirmation.
        this.deps.tracker.unwatch(row.ownerDid)
        this.inFlight.delete(row.id)
        this.started.delete(row.id)
        const left = (this.perHostPending.get(host) ?? 1) - 1
        if (left <= 0) this.perHostPending.delete(host)
        else this.perHostPending.set(host, left)
        if (this.backlog) this.requestDrain()
      }
    })()
    this.tasks.add(task)
    void task.finally(() => this.tasks.delete(task))
  }

  private hostQueue(host: string): PQueue {
    let q = this.hostQueues.get(host)
    if (!q) {
      const created = new PQueue({ concurrency: this.deps.cfg.publishConcurrencyPerHost })
      created.on('idle', () => {
        if (this.hostQueues.get(host) === created && created.size === 0 && created.pending === 0) {
          this.hostQueues.delete(host)
        }
      })
      this.hostQueues.set(host, created)
      q = created
    }
    return q
  }

  private sleepUntil(at: number): Promise<void> {
    const delay = at - Date.now()
    if (delay <= 0 || this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.sleepers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, delay)
      this.sleepers.add(wake)
    })
  }

  private async publishOne(row: ClaimedDraft, claimedAt: number): Promise<void> {
    const { cfg, log, metrics, outbound } = this.deps
    if (this.stopped) return
    // Never start a write that could outlive our lease: another replica may take the draft after it.
    const leaseLeftMs = claimedAt + cfg.leaseSeconds * 1000 - Date.now()
    if (leaseLeftMs < cfg.publishTimeoutMs + 1000) {
      metrics.publishes.inc({ result: 'lost_lease' })
      log.warn({ draftId: row.id }, 'lease too short to publish safely; leaving the draft to be reclaimed')
      return
    }
    this.started.add(row.id)
    const startedAt = performance.now()
    let latenessMs: number | null = null
    const onSend = () => {
      if (row.attempts !== 1) return
      const due = row.scheduledAt ?? row.nextAttemptAt
      if (!due) return
      latenessMs = Math.max(0, Date.now() - due.getTime())
      metrics.lateness.observe(latenessMs / 1000)
    }

    const content = await this.recordFor(row)
    if (!content.ok) return this.fail(row, content.permanent, content.reason)
    let auth = await outbound.agentFor(row.ownerDid)
    if (!auth.ok) return this.fail(row, auth.permanent, auth.reason)

    const attempt = (recovering: boolean) =>
      publishToPds({
        db: this.deps.db,
        agent: (auth as { agent: PdsClient }).agent,
        draft: row,
        record: content.record,
        recovering,
        onSend,
        now: () => new Date(),
      })
    let outcome: PublishOutcome = await attempt(row.attempts > 1)
    if (!outcome.ok && 'error' in outcome && classifyPdsError(outcome.error).kind === 'auth') {
      auth = await outbound.recoverFromAuthError(row.ownerDid, classifyPdsError(outcome.error).reason)
      if (!auth.ok) return this.fail(row, auth.permanent, auth.reason)
      // The refused request did not write, but be safe: look for our record before writing again.
      outcome = await attempt(true)
    }
    metrics.publishDuration.observe((performance.now() - startedAt) / 1000)

    if (outcome.ok) {
      const earliestWrite = new Date(
        Math.max(row.createdAt.getTime(), (row.scheduledAt ?? row.createdAt).getTime()) -
          cfg.claimLookaheadMs,
      )
      const done = await this.completions.submit({
        draft: row,
        result: outcome,
        publishedAt: new Date(),
        earliestWrite,
      })
      if (!done) {
        metrics.publishes.inc({ result: 'lost_lease' })
        return
      }
      metrics.publishes.inc({ result: 'published' })
      if (done.status === 'published') this.deps.tracker.track(done, outcome.ops, !!outcome.landedEarlier)
      this.deps.events?.published?.(done, latenessMs)
      return
    }
    if ('reason' in outcome) return this.fail(row, true, outcome.reason)
    const c = classifyPdsError(outcome.error)
    if (c.kind === 'transient') return this.fail(row, false, c.reason, c.retryAt)
    return this.fail(row, true, c.reason)
  }

  private async fail(row: ClaimedDraft, permanent: boolean, reason: string, retryAt?: Date): Promise<void> {
    const { cfg, metrics, log } = this.deps
    const failures = row.failures + 1
    if (!permanent && failures < cfg.maxPublishAttempts) {
      const at = retryAt ?? new Date(Date.now() + backoffDelayMs(failures))
      const done = await completeRetry(this.completion, row, at, reason)
      metrics.publishes.inc({ result: done ? 'retry' : 'lost_lease' })
      log.info({ draftId: row.id, failures, retryAt: at, reason }, 'publish will be retried')
      return
    }
    const finalReason = permanent ? reason : `gave up after ${failures} failed attempts: ${reason}`
    const done = await completeFailed(this.completion, row, finalReason, new Date())
    metrics.publishes.inc({ result: done ? 'failed' : 'lost_lease' })
    log.warn({ draftId: row.id, reason: finalReason }, 'publish failed')
    if (done) this.deps.events?.failed?.(done)
  }

  /** The record to publish: the draft's own, or for a dynamic schedule the content URL's answer. */
  private async recordFor(
    row: ClaimedDraft,
  ): Promise<{ ok: true; record: JsonRecord | null } | { ok: false; permanent: boolean; reason: string }> {
    if (row.record || !row.scheduleId || row.operation !== 'create') {
      return { ok: true, record: (row.record as JsonRecord | null) ?? null }
    }
    const schedule = await getSchedule(this.deps.db, row.scheduleId)
    if (!schedule?.contentUrl)
      return { ok: false, permanent: true, reason: 'InvalidDraft: no record and no content URL' }
    const fetched = await fetchDynamicContent(schedule.contentUrl, {
      allowedHosts: this.deps.cfg.dynamicContentAllowedHosts,
      occurrenceAt: row.occurrenceAt,
      fireCount: schedule.fireCount + 1,
      maxBytes: this.deps.cfg.maxRequestBytes,
      timeoutMs: this.deps.cfg.publishTimeoutMs,
      fetch: this.deps.fetch,
    })
    if (!fetched.ok) return fetched
    return { ok: true, record: { ...fetched.record, $type: fetched.record.$type ?? row.collection } }
  }
}

function hostKey(pdsUrl: string | null): string {
  return pdsUrl ?? ''
}
