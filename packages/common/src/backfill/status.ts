import { sql } from 'kysely'
import type { Db, DbTx } from '../db/database.ts'

export interface BackfillStatus {
  /** The viewer is a local user (has a materialised timeline). */
  isLocalUser: boolean
  /** Every account the timeline draws on (the viewer and their follows) is backfilled and nothing is waiting. */
  complete: boolean
  /** When the timeline last became complete; null while it is not. */
  completeSince: Date | null
  /** Accounts the timeline draws on whose backfill is waiting or running (or not yet queued). */
  pending: number
  /** Accounts whose backfill gave up after its last attempt. */
  failed: number
}

/** The backfill side of a viewer's timeline status (`dev.sundial.feed.getTimelineStatus`). */
export async function backfillStatusFor(db: Db, viewerDid: string): Promise<BackfillStatus> {
  const user = await db
    .selectFrom('localUser')
    .select('completeSince')
    .where('did', '=', viewerDid)
    .executeTakeFirst()
  const { rows } = await sql<{ pending: string; failed: string }>`
    with target as (
      select ${viewerDid}::text as did
      union
      select subject_did from follow where author_did = ${viewerDid}
    )
    select
      count(*) filter (where active.did is not null or (failed.did is null and done.did is null)) as pending,
      count(*) filter (where active.did is null and failed.did is not null) as failed
    from target t
    left join backfill_job active on active.did = t.did and active.state in ('pending', 'running')
    left join backfill_job failed on failed.did = t.did and failed.state = 'failed'
    left join backfill_job done on done.did = t.did and done.state = 'done'
  `.execute(db)
  const pending = Number(rows[0]?.pending ?? 0)
  const failed = Number(rows[0]?.failed ?? 0)
  const completeSince = user?.completeSince ?? null
  return {
    isLocalUser: user !== undefined,
    complete: completeSince !== null && pending === 0 && failed === 0,
    completeSince: pending === 0 && failed === 0 ? completeSince : null,
    pending,
    failed,
  }
}

/**
 * After a backfill of `did` finished: every local user whose timeline draws on it (themselves, or a follower)
 * and whose accounts are now all done becomes complete as of now. Returns the users marked complete.
 */
export async function markTimelinesComplete(db: Db | DbTx, did: string): Promise<string[]> {
  const { rows } = await sql<{ did: string }>`
    update local_user lu set complete_since = now()
    where lu.complete_since is null
      and (lu.did = ${did}
        or lu.did in (select f.author_did from follow f where f.subject_did = ${did}))
      and not exists (
        select 1 from (
          select lu.did as did
          union
          select f.subject_did from follow f where f.author_did = lu.did
        ) t
        where not exists (select 1 from backfill_job j where j.did = t.did and j.state = 'done')
           or exists (select 1 from backfill_job j where j.did = t.did and j.state in ('pending', 'running'))
      )
    returning lu.did
  `.execute(db)
  return rows.map((r) => r.did)
}
