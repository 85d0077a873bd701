import { sql } from 'kysely'
import type { Db, DbTx } from '../db/database.ts'
import type { BackfillReason } from '../db/schema/backfill-job.ts'

/** Postgres NOTIFY channel the backfill worker listens on; every enqueue signals it when it commits. */
export const BACKFILL_CHANNEL = 'sundial_backfill'

export interface BackfillRequest {
  /** The account whose history to fetch. */
  did: string
  reason: BackfillReason
  /** For `follow`: the local user whose new follow asked for it (their timeline is incomplete until done). */
  follower?: string
}

/**
 * Queues a backfill of one account. A request for an account that already has a pending or running job merges
 * into it. Callable from any service holding the database: the worker is woken through Postgres.
 */
export async function enqueueBackfill(db: Db | DbTx, job: BackfillRequest): Promise<void> {
  await enqueueBackfills(db, [job.did], job.reason, { follower: job.follower })
}

/**
 * A viewer has just become a local user (after `registerLocalUser`): fetch their own repo (follows, profile,
 * posts), then, once it is in, the history of everyone they follow.
 */
export async function enqueueOnboarding(db: Db | DbTx, did: string): Promise<void> {
  await enqueueBackfills(db, [did], 'onboard')
}

export interface EnqueueOptions {
  follower?: string
}

/**
 * Queues backfills of many accounts in one statement (gap recovery, a new user's follows) and marks the
 * timelines they complete as incomplete again: for `onboard` the account's own, for `follow` the follower's,
 * for `gap` every local user who is or follows one of the accounts.
 */
export async function enqueueBackfills(
  db: Db | DbTx,
  dids: readonly string[],
  reason: BackfillReason,
  opts: EnqueueOptions = {},
): Promise<number> {
  if (dids.length === 0) return 0
  const run = async (tx: DbTx | Db): Promise<number> => {
    const unique = [...new Set(dids)].sort()
    const result = await sql<{ id: string }>`
      insert into backfill_job (did, reason)
      select did, ${reason} from unnest(${unique}::text[]) as x(did)
      on conflict (did) where state in ('pending', 'running') do nothing
      returning id
    `.execute(tx)
    if (reason === 'onboard') {
      await sql`update local_user set complete_since = null where did = any(${unique}::text[])`.execute(tx)
    } else if (reason === 'follow' && opts.follower) {
      await sql`update local_user set complete_since = null where did = ${opts.follower}`.execute(tx)
    } else if (reason === 'gap') {
      await sql`
        update local_user set complete_since = null
        where complete_since is not null
          and (did = any(${unique}::text[])
            or did in (select author_did from follow where subject_did = any(${unique}::text[])))
      `.execute(tx)
    }
    await sql`select pg_notify(${BACKFILL_CHANNEL}, '')`.execute(tx)
    return result.rows.length
  }
  return db.isTransaction ? run(db) : (db as Db).transaction().execute(run)
}
