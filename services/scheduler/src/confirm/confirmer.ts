import { Jetstream } from '@skyware/jetstream'
import type { CommitEvent } from '@skyware/jetstream'
import { WebSocket } from 'ws'
import type { Db } from '@sundial/common'
import type { SchedulerConfig } from '../config.ts'
import { markUnconfirmed, publishingOwners, recordSeen } from '../db/confirm-state.ts'
import { pendingConfirmations, pendingConfirmationsForDraft } from '../db/confirmations.ts'
import type { ConfirmationRow } from '../db/confirmations.ts'
import { getCredential } from '../db/credentials.ts'
import type { DraftRow } from '../db/drafts.ts'
import type { PgListener } from '../db/listener.ts'
import { CONFIRM_CHANNEL } from '../db/notify.ts'
import type { Logger } from '../logger.ts'
import type { SchedulerMetrics } from '../metrics.ts'
import type { ConfirmationTracker } from '../publisher/publisher.ts'
import { BackgroundQueue } from '../queue.ts'
import { RecentCommits } from './recent-events.ts'
import type { SeenCommit } from './recent-events.ts'

/** Jetstream reads an empty wantedDids as "everyone": while nobody awaits confirmation, ask for nobody. */
const NOBODY = 'did:web:nobody.invalid'
/** Jetstream's cap on wantedDids; beyond it we take the unfiltered stream and filter here. */
const MAX_WANTED_DIDS = 10_000
/** Jetstream instances differ slightly and replay inclusively: start a little before what we need. */
const REPLAY_MARGIN_MS = 10_000
const MAX_REPLAY_MS = 24 * 60 * 60_000
const FLUSH_DELAY_MS = 5
const RECHECK_AFTER_REPLAY_MS = 5000
/** Removing accounts from the subscription is not urgent: coalesce it. */
const SHRINK_DELAY_MS = 1000

interface PendingOp {
  draftId: string
  idx: number
  action: 'create' | 'update' | 'delete'
  cid: string | null
}

interface TrackedDraft {
  ownerDid: string
  publishedAt: Date
  remaining: number
  rechecked: boolean
}

export interface ConfirmerEvents {
  confirmed(draft: DraftRow, latencyMs: number): void
}

/**
 * Proves publishes landed by watching our own Jetstream subscription, narrowed (`wantedDids`, updated live
 * with `options_update`) to the accounts that have writes going out or awaiting confirmation. A commit whose
 * URI and CID match a publish ticks it off; a draft is `confirmed` when all its commits were seen. Publishes
 * not seen within CONFIRM_TIMEOUT are re-checked on the PDS and marked unconfirmed with the finding (a late
 * event still confirms them). On start it replays from shortly before the oldest outstanding publish.
 */
export class Confirmer implements ConfirmationTracker {
  private readonly pending = new Map<string, PendingOp[]>()
  private readonly drafts = new Map<string, TrackedDraft>()
  /** Tracked drafts per owner, so "is this account wanted" is a lookup. */
  private readonly owners = new Map<string, number>()
  /** Confirmation deadlines in time order (mostly appended in order; a few are inserted). */
  private readonly deadlines: Array<{ draftId: string; at: number }> = []
  private readonly watchers = new Map<string, number>()
  private readonly startupDids = new Set<string>()
  private readonly recent = new RecentCommits()
  private readonly writes: BackgroundQueue
  private readonly rechecks: BackgroundQueue
  private jetstream: Jetstream | undefined
  private sentWanted = ''
  private seenBuffer: Array<{ draftId: string; idx: number; seenAt: Date }> = []
  private flushTimer: NodeJS.Timeout | undefined
  private optionsTimer: NodeJS.Timeout | undefined
  private deadlineTimer: NodeJS.Timeout | undefined
  private deadlineAt = Number.POSITIVE_INFINITY
  private startupTimer: NodeJS.Timeout | undefined
  private rewindTimer: NodeJS.Timeout | undefined
  private rewindTo = Number.POSITIVE_INFINITY
  private readonly recheckTimers = new Set<NodeJS.Timeout>()
  private stopped = false
  connected = false

  constructor(
    private readonly deps: {
      db: Db
      cfg: SchedulerConfig
      log: Logger
      metrics: SchedulerMetrics
      listener: PgListener
      fetch: typeof globalThis.fetch
      instanceId: string
      events?: Partial<ConfirmerEvents>
    },
  ) {
    this.writes = new BackgroundQueue(deps.log, { concurrency: 1 })
    this.rechecks = new BackgroundQueue(deps.log, { concurrency: 4 })
  }

  get awaitingCount(): number {
    return this.drafts.size
  }

  get wantedCount(): number {
    return this.wantedDids().length
  }

  async start(): Promise<void> {
    const { db, cfg, listener, log } = this.deps
    await listener.on(CONFIRM_CHANNEL, (payload) => {
      // Another replica published this draft; our own we already track.
      const [draftId, publisher] = payload.split(' ')
      if (publisher === this.deps.instanceId || this.drafts.has(draftId)) return
      this.writes.add('load-confirmations', () => this.loadDraft(draftId))
    })
    listener.onReconnect(() =>
      this.writes.add('reload-confirmations', async () => {
        await this.loadAll()
      }),
    )
    const oldest = await this.loadAll()
    const publishing = await publishingOwners(db)
    for (const p of publishing) this.startupDids.add(p.ownerDid)
    const since = Math.min(oldest ?? Infinity, ...publishing.map((p) => p.since.getTime()))
    // Always start from a cursor, so a reconnect before the first event still resumes where we were instead of
    // skipping what went by while disconnected.
    const cursorMs = Number.isFinite(since)
      ? Math.max(since - REPLAY_MARGIN_MS, Date.now() - MAX_REPLAY_MS)
      : Date.now()
    // Accounts whose interrupted publishes may be recovered by any replica: watch them for a while.
    if (this.startupDids.size > 0) {
      this.startupTimer = setTimeout(
        () => {
          this.startupDids.clear()
          this.scheduleOptionsUpdate()
        },
        (cfg.leaseSeconds * 2 + cfg.confirmTimeoutSeconds) * 1000,
      )
    }
    const wanted = this.wantedForWire()
    const jetstream = new Jetstream({
      endpoint: cfg.jetstreamUrl,
      wantedDids: wanted,
      cursor: cursorMs * 1000,
      ws: WebSocket,
    })
    this.sentWanted = wanted.join(',')
    jetstream.on('commit', (event) => this.onCommit(event))
    jetstream.on('open', () => {
      this.connected = true
      log.info({ wantedDids: this.wantedCount }, 'jetstream connected')
    })
    jetstream.on('close', () => {
      this.connected = false
    })
    jetstream.on('error', (err) => log.warn({ err: err?.message ?? String(err) }, 'jetstream error'))
    jetstream.start()
    this.jetstream = jetstream
    this.planDeadline()
  }

  async destroy(): Promise<void> {
    this.stopped = true
    clearTimeout(this.optionsTimer)
    clearTimeout(this.deadlineTimer)
    clearTimeout(this.startupTimer)
    clearTimeout(this.flushTimer)
    clearTimeout(this.rewindTimer)
    for (const t of this.recheckTimers) clearTimeout(t)
    this.flush()
    await this.writes.destroy()
    await this.rechecks.destroy()
    this.jetstream?.close()
  }

  /** Counts one watch per entry (pass an account once per draft); `unwatch` releases one. */
  watch(dids: string[]): void {
    let changed = false
    for (const did of dids) {
      const n = this.watchers.get(did) ?? 0
      this.watchers.set(did, n + 1)
      if (n === 0 && !this.isWantedOtherwise(did)) changed = true
    }
    // Sent before the writes go out, so Jetstream already forwards their commits.
    if (changed) this.sendOptions()
  }

  unwatch(did: string): void {
    const n = (this.watchers.get(did) ?? 0) - 1
    if (n > 0) {
      this.watchers.set(did, n)
      return
    }
    this.watchers.delete(did)
    this.scheduleOptionsUpdate()
  }

  track(
    draft: DraftRow,
    ops?: Array<{ action: PendingOp['action']; cid: string | null; committed: boolean; uri: string }>,
    landedEarlier = false,
  ) {
    // The write was found already on the PDS (an attempt before a crash or timeout landed): its commit went
    // by on Jetstream at some earlier moment, not necessarily while we watched. Replay from when it could
    // first have been written.
    if (landedEarlier) {
      const earliest = Math.max(draft.createdAt.getTime(), (draft.scheduledAt ?? draft.createdAt).getTime())
      this.rewind(earliest - this.deps.cfg.claimLookaheadMs - REPLAY_MARGIN_MS)
    }
    if (ops) {
      const rows = ops
        .map((op, idx) => ({ ...op, idx }))
        .filter((op) => op.committed)
        .map((op) => ({ draftId: draft.id, idx: op.idx, uri: op.uri, cid: op.cid, action: op.action }))
      this.addPending(draft.id, draft.ownerDid, draft.publishedAt ?? new Date(), rows)
    } else {
      this.writes.add('load-confirmations', () => this.loadDraft(draft.id))
    }
  }

  /** Reconnects the subscription from an earlier cursor (coalesced); replayed commits are matched as usual. */
  private rewind(toMs: number): void {
    if (this.stopped) return
    this.rewindTo = Math.min(this.rewindTo, Math.max(toMs, Date.now() - MAX_REPLAY_MS))
    if (this.rewindTimer) return
    this.rewindTimer = setTimeout(() => {
      this.rewindTimer = undefined
      const to = this.rewindTo
      this.rewindTo = Number.POSITIVE_INFINITY
      const js = this.jetstream
      // Always reconnect, even if our cursor is not past `to`: the accounts now wanted may have been filtered
      // out when those commits went by.
      if (!js || this.stopped) return
      this.deps.log.info(
        { cursor: new Date(to).toISOString() },
        'replaying Jetstream for publishes found after a retry',
      )
      js.cursor = to * 1000
      js.ws?.reconnect()
    }, 100)
  }

  private async loadAll(): Promise<number | undefined> {
    const rows = await pendingConfirmations(this.deps.db)
    let oldest: number | undefined
    const byDraft = new Map<string, ConfirmationRow[]>()
    for (const r of rows) {
      byDraft.set(r.draftId, [...(byDraft.get(r.draftId) ?? []), r])
      oldest = Math.min(oldest ?? Infinity, r.publishedAt.getTime())
    }
    for (const [draftId, list] of byDraft) {
      if (this.drafts.has(draftId)) continue
      this.addPending(draftId, list[0].ownerDid, list[0].publishedAt, list)
    }
    return oldest
  }

  private async loadDraft(draftId: string): Promise<void> {
    if (this.drafts.has(draftId)) return
    const rows = await pendingConfirmationsForDraft(this.deps.db, draftId)
    if (rows.length > 0 && !this.drafts.has(draftId)) {
      this.addPending(draftId, rows[0].ownerDid, rows[0].publishedAt, rows)
    }
  }

  private addPending(
    draftId: string,
    ownerDid: string,
    publishedAt: Date,
    ops: Array<{ draftId: string; idx: number; uri: string; cid: string | null; action: string }>,
  ): void {
    if (ops.length === 0 || this.drafts.has(draftId)) return
    const newOwner = !this.isWanted(ownerDid)
    this.drafts.set(draftId, { ownerDid, publishedAt, remaining: ops.length, rechecked: false })
    this.owners.set(ownerDid, (this.owners.get(ownerDid) ?? 0) + 1)
    this.addDeadline(draftId, publishedAt.getTime() + this.deps.cfg.confirmTimeoutSeconds * 1000)
    for (const op of ops) {
      const p: PendingOp = { draftId, idx: op.idx, action: op.action as PendingOp['action'], cid: op.cid }
      const list = this.pending.get(op.uri)
      if (list) list.push(p)
      else this.pending.set(op.uri, [p])
      // The commit may already have gone by (arrived before we recorded the publish, or was replayed).
      const seen = this.recent.get(op.uri).find((c) => matches(p, c))
      if (seen) this.onSeen(op.uri, p, seen.seenAt)
    }
    if (newOwner) this.sendOptions()
    this.planDeadline()
  }

  private onCommit(event: CommitEvent<string>): void {
    const { commit } = event
    const uri = `at://${event.did}/${commit.collection}/${commit.rkey}`
    this.deps.metrics.jetstreamEvents.inc()
    const seen: SeenCommit = {
      operation: commit.operation,
      cid: commit.operation === 'delete' ? null : commit.cid,
      seenAt: new Date(),
    }
    this.recent.add(uri, seen)
    const ops = this.pending.get(uri)
    if (!ops) return
    for (const op of [...ops]) if (matches(op, seen)) this.onSeen(uri, op, seen.seenAt)
  }

  private onSeen(uri: string, op: PendingOp, seenAt: Date): void {
    const list = this.pending.get(uri)
    if (!list) return
    const i = list.indexOf(op)
    if (i < 0) return
    list.splice(i, 1)
    if (list.length === 0) this.pending.delete(uri)
    this.seenBuffer.push({ draftId: op.draftId, idx: op.idx, seenAt })
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), FLUSH_DELAY_MS)
  }

  private flush(): void {
    this.flushTimer = undefined
    if (this.seenBuffer.length === 0) return
    const batch = this.seenBuffer
    this.seenBuffer = []
    this.writes.add('record-seen', async () => {
      const confirmed = await recordSeen(this.deps.db, batch, !!this.deps.cfg.postPublishWebhookUrl)
      for (const s of batch) {
        const d = this.drafts.get(s.draftId)
        if (d) d.remaining -= 1
      }
      for (const row of confirmed) {
        const latencyMs = row.confirmedAt!.getTime() - row.publishedAt!.getTime()
        this.deps.metrics.confirmLatency.observe(Math.max(0, latencyMs) / 1000)
        this.deps.metrics.confirmations.inc({ result: 'confirmed' })
        this.deps.events?.confirmed?.(row, latencyMs)
      }
      // Drop finished drafts, including ones another replica confirmed first.
      for (const s of batch) {
        const d = this.drafts.get(s.draftId)
        if (d && d.remaining <= 0) this.untrack(s.draftId, d)
      }
      this.scheduleOptionsUpdate()
    })
  }

  private isWanted(did: string): boolean {
    return (this.watchers.get(did) ?? 0) > 0 || this.isWantedOtherwise(did)
  }

  private isWantedOtherwise(did: string): boolean {
    return this.startupDids.has(did) || (this.owners.get(did) ?? 0) > 0
  }

  private untrack(draftId: string, d: TrackedDraft): void {
    this.drafts.delete(draftId)
    const n = (this.owners.get(d.ownerDid) ?? 1) - 1
    if (n > 0) this.owners.set(d.ownerDid, n)
    else this.owners.delete(d.ownerDid)
  }

  private addDeadline(draftId: string, at: number): void {
    const list = this.deadlines
    if (list.length === 0 || list[list.length - 1].at <= at) {
      list.push({ draftId, at })
      return
    }
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (list[mid].at <= at) lo = mid + 1
      else hi = mid
    }
    list.splice(lo, 0, { draftId, at })
  }

  private wantedDids(): string[] {
    const set = new Set<string>([...this.watchers.keys(), ...this.startupDids, ...this.owners.keys()])
    return [...set].sort()
  }

  private wantedForWire(): string[] {
    const dids = this.wantedDids()
    this.deps.metrics.wantedDids.set(dids.length)
    if (dids.length === 0) return [NOBODY]
    if (dids.length > MAX_WANTED_DIDS) return []
    return dids
  }

  private sendOptions(): void {
    clearTimeout(this.optionsTimer)
    this.optionsTimer = undefined
    if (!this.jetstream || this.stopped) return
    const wanted = this.wantedForWire()
    const key = wanted.join(',')
    if (key === this.sentWanted) return
    this.sentWanted = key
    try {
      this.jetstream.updateOptions({ wantedDids: wanted })
    } catch (err) {
      // Not connected: the URL was updated, so the reconnect subscribes with the new set.
      this.deps.log.debug({ err }, 'options_update deferred to reconnect')
    }
  }

  /** Shrinking the set is not urgent; coalesce removals. */
  private scheduleOptionsUpdate(): void {
    if (this.optionsTimer || this.stopped) return
    this.optionsTimer = setTimeout(() => this.sendOptions(), SHRINK_DELAY_MS)
  }

  private planDeadline(): void {
    if (this.stopped) return
    // Drop deadlines of drafts that were confirmed or already re-checked.
    while (this.deadlines.length > 0) {
      const head = this.deadlines[0]
      const d = this.drafts.get(head.draftId)
      if (d && !d.rechecked) break
      this.deadlines.shift()
    }
    const head = this.deadlines[0]
    if (!head) return
    if (this.deadlineTimer && head.at >= this.deadlineAt) return
    clearTimeout(this.deadlineTimer)
    this.deadlineAt = head.at
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.max(0, head.at - Date.now()))
  }

  private onDeadline(): void {
    this.deadlineTimer = undefined
    this.deadlineAt = Number.POSITIVE_INFINITY
    const now = Date.now()
    let replayFrom = Number.POSITIVE_INFINITY
    while (this.deadlines.length > 0 && this.deadlines[0].at <= now) {
      const { draftId } = this.deadlines.shift()!
      const d = this.drafts.get(draftId)
      if (!d || d.rechecked) continue
      d.rechecked = true
      replayFrom = Math.min(replayFrom, d.publishedAt.getTime())
      // Give the replay below a moment to find the commit before asking the PDS.
      const timer = setTimeout(() => {
        this.recheckTimers.delete(timer)
        this.rechecks.add('recheck', () => this.recheck(draftId, d))
      }, RECHECK_AFTER_REPLAY_MS)
      this.recheckTimers.add(timer)
    }
    // Overdue: the live event may have been missed (e.g. a dropped connection). Replay once from before it.
    if (Number.isFinite(replayFrom)) this.rewind(replayFrom - REPLAY_MARGIN_MS)
    this.planDeadline()
  }

  /** Asks the PDS whether the unconfirmed writes are there, and records the finding as the reason. */
  private async recheck(draftId: string, d: TrackedDraft): Promise<void> {
    const ops: Array<{ uri: string; op: PendingOp }> = []
    for (const [uri, list] of this.pending)
      for (const op of list) if (op.draftId === draftId) ops.push({ uri, op })
    if (ops.length === 0) return
    const cred = await getCredential(this.deps.db, d.ownerDid)
    const findings: string[] = []
    for (const { uri, op } of ops) {
      findings.push(await this.describeOnPds(cred?.pdsUrl, uri, op))
    }
    const note = `not seen on Jetstream within ${this.deps.cfg.confirmTimeoutSeconds}s; ${findings.join('; ')}`
    if (await markUnconfirmed(this.deps.db, draftId, note)) {
      this.deps.metrics.confirmations.inc({ result: 'unconfirmed' })
      this.deps.log.warn({ draftId, note }, 'publish unconfirmed')
    }
  }

  private async describeOnPds(pdsUrl: string | undefined, uri: string, op: PendingOp): Promise<string> {
    if (!pdsUrl) return `${uri}: no PDS known to check`
    const [, , repo, collection, rkey] = uri.split('/')
    const url = new URL('/xrpc/com.atproto.repo.getRecord', pdsUrl)
    url.searchParams.set('repo', repo)
    url.searchParams.set('collection', collection)
    url.searchParams.set('rkey', rkey)
    try {
      const res = await this.deps.fetch(url, { signal: AbortSignal.timeout(this.deps.cfg.publishTimeoutMs) })
      const body = (await res.json().catch(() => ({}))) as { cid?: string; error?: string }
      const present = res.ok && !!body.cid
      if (op.action === 'delete') {
        return present
          ? `${uri}: still present on the PDS`
          : `${uri}: absent on the PDS (the delete took effect)`
      }
      if (!present) return `${uri}: not found on the PDS (${body.error ?? res.status})`
      return body.cid === op.cid
        ? `${uri}: the PDS has it with the expected CID`
        : `${uri}: the PDS has a different version (CID ${body.cid})`
    } catch (err) {
      return `${uri}: PDS unreachable (${(err as Error).message})`
    }
  }
}

function matches(op: PendingOp, seen: SeenCommit): boolean {
  if (op.action === 'delete') return seen.operation === 'delete'
  if (seen.operation === 'delete') return false
  return op.cid === null || op.cid === seen.cid
}
