import { sql } from 'kysely'
import type { Db, DraftStatus } from '@sundial/common'

// Every SQL statement the dashboard runs. Reads are small: counts, the newest few rows, percentiles over an hour.

export interface CursorRow {
  name: string
  timeUs: number
  updatedAt: Date
}

export async function readCursors(db: Db): Promise<CursorRow[]> {
  const rows = await db.selectFrom('cursor').select(['name', 'timeUs', 'updatedAt']).orderBy('name').execute()
  return rows.map((r) => ({ name: r.name, timeUs: Number(r.timeUs), updatedAt: r.updatedAt }))
}

export interface LocalUserSummary {
  total: number
  complete: number
  built: number
  activeLastDay: number
}

export async function summariseLocalUsers(db: Db): Promise<LocalUserSummary> {
  const row = await db
    .selectFrom('localUser')
    .select((eb) => [
      eb.fn.countAll<string>().as('total'),
      eb.fn.count<string>('completeSince').as('complete'),
      eb.fn.count<string>('timelineBuiltAt').as('built'),
      sql<string>`count(*) filter (where last_seen_at > now() - interval '1 day')`.as('activeLastDay'),
    ])
    .executeTakeFirstOrThrow()
  return {
    total: Number(row.total),
    complete: Number(row.complete),
    built: Number(row.built),
    activeLastDay: Number(row.activeLastDay),
  }
}

export interface LocalUserRow {
  did: string
  handle: string | null
  createdAt: Date
  lastSeenAt: Date
  timelineBuiltAt: Date | null
  completeSince: Date | null
}

/** Incomplete timelines first (what an operator acts on), then the most recently seen. */
export async function listLocalUsers(db: Db, limit: number): Promise<LocalUserRow[]> {
  return db
    .selectFrom('localUser')
    .leftJoin('actor', 'actor.did', 'localUser.did')
    .select([
      'localUser.did',
      'actor.handle',
      'localUser.createdAt',
      'localUser.lastSeenAt',
      'localUser.timelineBuiltAt',
      'localUser.completeSince',
    ])
    .orderBy(sql`local_user.complete_since is null`, 'desc')
    .orderBy('localUser.lastSeenAt', 'desc')
    .limit(limit)
    .execute()
}

export type DraftCounts = Record<DraftStatus | 'unconfirmed' | 'awaitingConfirmation' | 'dueNextHour', number>

export async function countDrafts(db: Db): Promise<DraftCounts> {
  const counts: DraftCounts = {
    draft: 0,
    scheduled: 0,
    publishing: 0,
    published: 0,
    confirmed: 0,
    failed: 0,
    cancelled: 0,
    unconfirmed: 0,
    awaitingConfirmation: 0,
    dueNextHour: 0,
  }
  const [byStatus, extra] = await Promise.all([
    db
      .selectFrom('schedulerDraft')
      .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('status')
      .execute(),
    db
      .selectFrom('schedulerDraft')
      .select([
        sql<string>`count(*) filter (where confirm_state = 'unconfirmed')`.as('unconfirmed'),
        sql<string>`count(*) filter (where confirm_state = 'awaiting')`.as('awaiting'),
        sql<string>`count(*) filter (where status = 'scheduled' and scheduled_at < now() + interval '1 hour')`.as(
          'due',
        ),
      ])
      .where('status', 'in', ['scheduled', 'published'])
      .executeTakeFirstOrThrow(),
  ])
  for (const row of byStatus) counts[row.status] = Number(row.n)
  counts.unconfirmed = Number(extra.unconfirmed)
  counts.awaitingConfirmation = Number(extra.awaiting)
  counts.dueNextHour = Number(extra.due)
  return counts
}

/** Drafts the publisher still has to act on; cheap (the partial wake_at index holds exactly those). */
export async function countActiveDrafts(db: Db): Promise<{ scheduled: number; publishing: number }> {
  const rows = await db
    .selectFrom('schedulerDraft')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('wakeAt', 'is not', null)
    .groupBy('status')
    .execute()
  const n = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0)
  return { scheduled: n('scheduled'), publishing: n('publishing') }
}

export interface DraftProblemRow {
  id: string
  ownerDid: string
  handle: string | null
  status: DraftStatus
  operation: string
  uri: string
  attempts: number
  scheduledAt: Date | null
  publishedAt: Date | null
  updatedAt: Date
  reason: string | null
}

function draftProblems(db: Db) {
  return db
    .selectFrom('schedulerDraft')
    .leftJoin('actor', 'actor.did', 'schedulerDraft.ownerDid')
    .select([
      'schedulerDraft.id',
      'schedulerDraft.ownerDid',
      'actor.handle',
      'schedulerDraft.status',
      'schedulerDraft.operation',
      'schedulerDraft.uri',
      'schedulerDraft.attempts',
      'schedulerDraft.scheduledAt',
      'schedulerDraft.publishedAt',
      'schedulerDraft.updatedAt',
    ])
}

export async function listFailedDrafts(db: Db, limit: number): Promise<DraftProblemRow[]> {
  return draftProblems(db)
    .select('schedulerDraft.lastError as reason')
    .where('schedulerDraft.status', '=', 'failed')
    .orderBy('schedulerDraft.updatedAt', 'desc')
    .limit(limit)
    .execute()
}

/** Published but not seen on Jetstream in time: the scheduler re-checked the PDS and wrote down why. */
export async function listUnconfirmedDrafts(db: Db, limit: number): Promise<DraftProblemRow[]> {
  return draftProblems(db)
    .select(sql<string | null>`coalesce(scheduler_draft.confirm_note, scheduler_draft.last_error)`.as('reason'))
    .where('schedulerDraft.confirmState', '=', 'unconfirmed')
    .orderBy('schedulerDraft.publishedAt', 'desc')
    .limit(limit)
    .execute()
}

export interface LatencySummary {
  count: number
  p50Ms: number | null
  p99Ms: number | null
  maxMs: number | null
}

/** PDS acknowledgment → seen on Jetstream, for drafts confirmed within the window. */
export async function confirmationLatency(db: Db, windowMs: number): Promise<LatencySummary> {
  const since = new Date(Date.now() - windowMs)
  const ms = sql<number>`extract(epoch from (confirmed_at - published_at)) * 1000`
  const row = await db
    .selectFrom('schedulerDraft')
    .select([
      (eb) => eb.fn.countAll<string>().as('n'),
      sql<number | null>`percentile_cont(0.5) within group (order by ${ms})`.as('p50'),
      sql<number | null>`percentile_cont(0.99) within group (order by ${ms})`.as('p99'),
      sql<number | null>`max(${ms})`.as('max'),
    ])
    .where('status', '=', 'confirmed')
    .where('confirmedAt', '>', since)
    .where('publishedAt', 'is not', null)
    .executeTakeFirstOrThrow()
  const round = (v: number | string | null) => (v === null ? null : Math.round(Number(v)))
  return { count: Number(row.n), p50Ms: round(row.p50), p99Ms: round(row.p99), maxMs: round(row.max) }
}

export interface RecentDraftError {
  at: Date
  draftId: string
  message: string
}

export async function recentDraftErrors(db: Db, windowMs: number, limit: number): Promise<RecentDraftError[]> {
  const since = new Date(Date.now() - windowMs)
  const rows = await db
    .selectFrom('schedulerDraft')
    .select(['id', 'updatedAt', 'lastError'])
    .where('lastError', 'is not', null)
    .where('updatedAt', '>', since)
    .orderBy('updatedAt', 'desc')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ at: r.updatedAt, draftId: r.id, message: r.lastError ?? '' }))
}

export type DraftActionOutcome = 'done' | 'not-found' | 'not-failed'

/**
 * Postgres channel every scheduler replica listens on for "a draft is due at <ms>" (the scheduler's
 * WAKE_CHANNEL; a test keeps the two equal). NOTIFY is delivered on commit, so the publisher sees the row.
 */
export const SCHEDULER_WAKE_CHANNEL = 'sundial_scheduler_wake'

/**
 * Puts a failed draft back in the publisher's hands, due now, the way the scheduler's own publishDraftNow does.
 * Its rkey is unchanged and attempts restart at 1, so the next claim (attempt 2) first looks on the PDS for a
 * record an earlier attempt may have left, and counts it a success instead of posting twice.
 */
export async function retryFailedDraft(db: Db, id: string): Promise<DraftActionOutcome> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('schedulerDraft')
      .select(['status', 'attempts'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst()
    if (!row) return 'not-found'
    if (row.status !== 'failed') return 'not-failed'
    const now = new Date()
    await tx
      .updateTable('schedulerDraft')
      .set({
        status: 'scheduled',
        scheduledAt: now,
        nextAttemptAt: now,
        wakeAt: now,
        attempts: Math.min(row.attempts, 1),
        lastError: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        updatedAt: now,
      })
      .where('id', '=', id)
      .execute()
    await sql`select pg_notify(${SCHEDULER_WAKE_CHANNEL}, ${String(now.getTime())})`.execute(tx)
    return 'done'
  })
}

/** Gives up on a failed draft for good, as the scheduler's deleteDraft does for a pending one. */
export async function cancelFailedDraft(db: Db, id: string): Promise<DraftActionOutcome> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('schedulerDraft')
      .select('status')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst()
    if (!row) return 'not-found'
    if (row.status !== 'failed') return 'not-failed'
    await tx
      .updateTable('schedulerDraft')
      .set({ status: 'cancelled', wakeAt: null, nextAttemptAt: null, updatedAt: new Date() })
      .where('id', '=', id)
      .execute()
    return 'done'
  })
}
