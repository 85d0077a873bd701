import { sql } from 'kysely'
import type { BackfillReason, BackfillState, Db, DbTx } from '@sundial/common'

/** A job as the worker holds it while running. */
export interface ClaimedJob {
  id: string
  did: string
  reason: BackfillReason
  attempts: number
  pdsHost: string | null
}

/**
 * Hands running jobs whose lease ran out (their worker died or stalled) back to the queue, due now. The attempt
 * they were on still counts, so a job that keeps crashing its worker ends as failed.
 */
export async function reclaimExpiredLeases(db: Db): Promise<number> {
  const result = await sql`
    update backfill_job
    set state = 'pending', lease_owner = null, lease_expires_at = null, next_attempt_at = now(),
      last_error = coalesce(last_error, 'lease expired'), updated_at = now()
    where state = 'running' and lease_expires_at < now()
  `.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

/**
 * Claims up to `limit` due jobs for `owner`, oldest due first, skipping jobs already locked by another worker and
 * jobs on hosts this worker has no room for.
 */
export async function claimJobs(
  db: Db,
  owner: string,
  limit: number,
  leaseSeconds: number,
  fullHosts: readonly string[],
  minAgeMs: number,
): Promise<ClaimedJob[]> {
  if (limit <= 0) return []
  const result = await sql<ClaimedJob>`
    update backfill_job j
    set state = 'running', lease_owner = ${owner},
      lease_expires_at = now() + make_interval(secs => ${leaseSeconds}),
      attempts = j.attempts + 1, started_at = now(), updated_at = now()
    where j.id in (
      select id from backfill_job
      where state = 'pending' and next_attempt_at <= now()
        and created_at <= now() - make_interval(secs => ${minAgeMs / 1000})
        and (pds_host is null or not (pds_host = any(${[...fullHosts]}::text[])))
      order by next_attempt_at, id
      limit ${limit}
      for update skip locked
    )
    returning j.id, j.did, j.reason, j.attempts, j.pds_host
  `.execute(db)
  return result.rows
}

export async function renewLeases(db: Db, owner: string, ids: string[], leaseSeconds: number): Promise<void> {
  if (ids.length === 0) return
  await sql`
    update backfill_job set lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
    where id = any(${ids}::bigint[]) and lease_owner = ${owner} and state = 'running'
  `.execute(db)
}

export async function setJobHost(db: Db, id: string, host: string): Promise<void> {
  await db.updateTable('backfillJob').set({ pdsHost: host }).where('id', '=', id).execute()
}

/** The revision the account's last successful backfill reached, if any. */
export async function doneRev(db: Db, did: string): Promise<string | null> {
  const row = await db
    .selectFrom('backfillJob')
    .select('rev')
    .where('did', '=', did)
    .where('state', '=', 'done')
    .executeTakeFirst()
  return row?.rev ?? null
}

export interface JobOutcome {
  state: Extract<BackfillState, 'done' | 'failed'>
  rev?: string | null
  records?: number
  error?: string | null
}

/**
 * Finishes a job this worker still holds: it becomes the account's finished row (replacing the previous one).
 * Returns false when the lease was lost (another worker took the job over) and nothing was changed.
 */
export async function finishJob(
  tx: DbTx,
  job: ClaimedJob,
  owner: string,
  outcome: JobOutcome,
): Promise<boolean> {
  const held = await sql<{ id: string }>`
    select id from backfill_job where id = ${job.id} and lease_owner = ${owner} and state = 'running' for update
  `.execute(tx)
  if (held.rows.length === 0) return false
  await sql`
    delete from backfill_job where did = ${job.did} and state in ('done', 'failed')
  `.execute(tx)
  await sql`
    update backfill_job
    set state = ${outcome.state}, rev = coalesce(${outcome.rev ?? null}, rev), records = ${outcome.records ?? 0},
      last_error = ${outcome.error ?? null}, lease_owner = null, lease_expires_at = null,
      finished_at = now(), updated_at = now()
    where id = ${job.id}
  `.execute(tx)
  return true
}

/** Puts a failed attempt back in the queue, due after `delayMs`. */
export async function retryJob(
  db: Db,
  job: ClaimedJob,
  owner: string,
  delayMs: number,
  error: string,
): Promise<void> {
  await sql`
    update backfill_job
    set state = 'pending', lease_owner = null, lease_expires_at = null,
      next_attempt_at = now() + make_interval(secs => ${delayMs / 1000}), last_error = ${error}, updated_at = now()
    where id = ${job.id} and lease_owner = ${owner} and state = 'running'
  `.execute(db)
}

/** Hands back jobs interrupted by shutdown, due at once and without spending an attempt. */
export async function releaseJobs(db: Db, owner: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return
  await sql`
    update backfill_job
    set state = 'pending', lease_owner = null, lease_expires_at = null, next_attempt_at = now(),
      attempts = greatest(attempts - 1, 0), updated_at = now()
    where id = any(${ids}::bigint[]) and lease_owner = ${owner} and state = 'running'
  `.execute(db)
}

/**
 * When the worker next has something to do without being told: the next retry falling due or another worker's
 * lease running out. Jobs due already but not claimable (no room) need no timer: a finishing job wakes the worker.
 */
export async function nextWakeAt(db: Db, owner: string, minAgeMs: number): Promise<Date | null> {
  const { rows } = await sql<{ at: Date | null }>`
    select least(
      (select min(greatest(next_attempt_at, created_at + make_interval(secs => ${minAgeMs / 1000})))
        from backfill_job where state = 'pending'
          and (next_attempt_at > now() or created_at > now() - make_interval(secs => ${minAgeMs / 1000}))),
      (select min(lease_expires_at) from backfill_job where state = 'running' and lease_owner <> ${owner})
    ) as at
  `.execute(db)
  return rows[0]?.at ?? null
}

/** Jobs waiting and running: the queue proper, small, counted through its partial index. */
export async function countActiveJobs(db: Db): Promise<{ pending: number; running: number }> {
  const { rows } = await sql<{ pending: string; running: string }>`
    select count(*) filter (where state = 'pending') as pending, count(*) filter (where state = 'running') as running
    from backfill_job where state in ('pending', 'running')
  `.execute(db)
  return { pending: Number(rows[0].pending), running: Number(rows[0].running) }
}

/** Finished jobs: one row per account ever backfilled, so counted less often. */
export async function countFinishedJobs(db: Db): Promise<{ done: number; failed: number }> {
  const { rows } = await sql<{ done: string; failed: string }>`
    select count(*) filter (where state = 'done') as done, count(*) filter (where state = 'failed') as failed
    from backfill_job where state in ('done', 'failed')
  `.execute(db)
  return { done: Number(rows[0].done), failed: Number(rows[0].failed) }
}

/** Local users and everyone they follow: whose history the timelines need. */
const TIMELINE_ACCOUNTS = sql<{ did: string }>`
  select did from local_user
  union
  select subject_did from local_follow
`

export async function localTimelineAccounts(db: Db): Promise<string[]> {
  const { rows } = await TIMELINE_ACCOUNTS.execute(db)
  return rows.map((r) => r.did)
}

/** Local users, and accounts they follow, that have never had a backfill job (e.g. a lost wake-up). */
export async function accountsNeverQueued(db: Db): Promise<{ users: string[]; followed: string[] }> {
  const [users, followed] = await Promise.all([
    sql<{ did: string }>`
      select lu.did from local_user lu where not exists (select 1 from backfill_job j where j.did = lu.did)
    `.execute(db),
    sql<{ did: string }>`
      select distinct lf.subject_did as did from local_follow lf
      where not exists (select 1 from backfill_job j where j.did = lf.subject_did)
    `.execute(db),
  ])
  return { users: users.rows.map((r) => r.did), followed: followed.rows.map((r) => r.did) }
}

/** Accounts local timelines draw on whose backfill gave up: a restart gives them another round of attempts. */
export async function failedTimelineAccounts(db: Db): Promise<string[]> {
  const { rows } = await sql<{ did: string }>`
    select j.did from backfill_job j
    where j.state = 'failed'
      and not exists (select 1 from backfill_job a where a.did = j.did and a.state in ('pending', 'running'))
      and j.did in (${TIMELINE_ACCOUNTS})
  `.execute(db)
  return rows.map((r) => r.did)
}

/** Accounts `did` follows that have no successful backfill (or every one of them when `all`). */
export async function followsToBackfill(db: Db | DbTx, did: string, all: boolean): Promise<string[]> {
  const { rows } = await sql<{ did: string }>`
    select distinct f.subject_did as did from follow f
    where f.author_did = ${did}
      and (${all} or not exists (select 1 from backfill_job j where j.did = f.subject_did and j.state = 'done'))
  `.execute(db)
  return rows.map((r) => r.did)
}

/**
 * After a gap, what earlier backfills established no longer holds for accounts that are not re-fetched now:
 * forget their finished rows, so a later follow fetches them again instead of trusting the old state.
 */
export async function forgetFinishedExcept(db: Db, keep: readonly string[]): Promise<number> {
  const result = await sql`
    delete from backfill_job where state in ('done', 'failed') and not (did = any(${[...keep]}::text[]))
  `.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

// Key of the lock `holdCompletionLock` takes (distinct from the writers' lock).
const COMPLETION_LOCK = 0x53554e45

/**
 * Serialises the transactions that finish jobs (and decide timeline completeness). Two jobs finishing at once
 * (their records often commit in one lane transaction) would otherwise each see the other still running, and
 * neither would mark the timelines they both complete. Held to commit, so the second sees the first as done.
 */
export async function holdCompletionLock(tx: DbTx): Promise<void> {
  await sql`select pg_advisory_xact_lock(${COMPLETION_LOCK})`.execute(tx)
}

export async function isLocalUser(db: Db | DbTx, did: string): Promise<boolean> {
  const row = await db.selectFrom('localUser').select('did').where('did', '=', did).executeTakeFirst()
  return row !== undefined
}
