import { sql } from 'kysely'
import type { Db, DbTx } from '../db/database.ts'

// A materialised timeline row exists for (viewer, item) exactly when the viewer is a local user and the item's
// originator is the viewer or someone the viewer follows. Every writer keeps that invariant through these
// functions, inside the transaction that changes the underlying rows.
//
// Race between registering a local user and concurrent writers: writers hold a shared advisory lock for their
// transaction, and registration takes it exclusively while inserting the local_user row. Any writer that could
// have missed the new user has committed before the build query runs, and every later writer sees the user.
/**
 * The advisory lock key every index writer holds for its transaction: shared by writers that may run side by side,
 * exclusively by local-user registration, by firehose batches that change a local user's follows, and by backfill.
 */
export const WRITERS_LOCK_KEY = 0x53554e44 // "SUND"

/** Call first in every transaction that inserts feed items or follows. */
export async function holdFanOutLock(tx: DbTx): Promise<void> {
  await sql`select pg_advisory_xact_lock_shared(${WRITERS_LOCK_KEY})`.execute(tx)
}

/** Copies freshly inserted feed items into the timelines of the local users who should see them. */
export async function fanOutFeedItems(tx: DbTx, itemUris: string[]): Promise<void> {
  if (itemUris.length === 0) return
  await sql`
    insert into timeline_item (viewer_did, uri, cid, type, post_uri, originator_did, sort_at)
    select v.viewer_did, fi.uri, fi.cid, fi.type, fi.post_uri, fi.originator_did, fi.sort_at
    from feed_item fi
    join lateral (
      select lu.did as viewer_did from local_user lu where lu.did = fi.originator_did
      union
      select lf.viewer_did from local_follow lf where lf.subject_did = fi.originator_did
    ) v on true
    where fi.uri = any(${itemUris}::text[])
    on conflict (viewer_did, uri) do nothing
  `.execute(tx)
}

/** Removes deleted items, and items whose subject post was deleted, from every timeline. */
export async function removeFromTimelines(tx: DbTx, uris: string[]): Promise<void> {
  if (uris.length === 0) return
  await sql`delete from timeline_item where uri = any(${uris}::text[])`.execute(tx)
  await sql`delete from timeline_item where post_uri = any(${uris}::text[])`.execute(tx)
}

/** A local user started following `subjectDid`: bring the subject's items into their timeline. */
export async function applyFollow(tx: DbTx, followerDid: string, subjectDid: string): Promise<void> {
  await sql`
    insert into timeline_item (viewer_did, uri, cid, type, post_uri, originator_did, sort_at)
    select lu.did, fi.uri, fi.cid, fi.type, fi.post_uri, fi.originator_did, fi.sort_at
    from local_user lu
    join feed_item fi on fi.originator_did = ${subjectDid}
    where lu.did = ${followerDid}
    on conflict (viewer_did, uri) do nothing
  `.execute(tx)
}

/**
 * A follow record was deleted: unless another follow of the same subject remains (duplicate follow records
 * exist on the network) or the subject is the viewer, the subject's items leave the viewer's timeline.
 */
export async function applyUnfollow(tx: DbTx, followerDid: string, subjectDid: string): Promise<void> {
  if (followerDid === subjectDid) return
  await sql`
    delete from timeline_item ti
    where ti.viewer_did = ${followerDid}
      and ti.originator_did = ${subjectDid}
      and not exists (
        select 1 from follow f where f.author_did = ${followerDid} and f.subject_did = ${subjectDid}
      )
  `.execute(tx)
}

export interface LocalUserRegistration {
  /** True when this call made the user local (first arrival); false if they already were. */
  created: boolean
}

/**
 * Makes `did` a local user and builds their materialised timeline from what is already indexed.
 * Idempotent: a user who is already local only has `last_seen_at` refreshed.
 */
export async function registerLocalUser(db: Db, did: string): Promise<LocalUserRegistration> {
  const existing = await db
    .updateTable('localUser')
    .set({ lastSeenAt: new Date() })
    .where('did', '=', did)
    .returning('did')
    .executeTakeFirst()
  if (existing) return { created: false }
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${WRITERS_LOCK_KEY})`.execute(tx)
    const inserted = await tx
      .insertInto('localUser')
      .values({ did })
      .onConflict((oc) => oc.column('did').doNothing())
      .returning('did')
      .executeTakeFirst()
    if (!inserted) return { created: false }
    // One set-based insert: the viewer and each account they follow (duplicate follow records collapse in the
    // union), then that account's items through the feed_item (originator, sort) index. The lateral subquery
    // is kept per account (`offset 0` stops Postgres flattening it): written as `originator = me or
    // originator in (follows)` it became a filter over every feed item, 15 s at 10M posts.
    await sql`
      insert into timeline_item (viewer_did, uri, cid, type, post_uri, originator_did, sort_at)
      select ${did}, fi.uri, fi.cid, fi.type, fi.post_uri, fi.originator_did, fi.sort_at
      from (
        select ${did}::text as did
        union
        select f.subject_did from follow f where f.author_did = ${did}
      ) s
      cross join lateral (
        select fi.uri, fi.cid, fi.type, fi.post_uri, fi.originator_did, fi.sort_at
        from feed_item fi where fi.originator_did = s.did offset 0
      ) fi
      -- Oldest first, as fan-out appends later items: a page of the timeline then sits on a few heap pages
      -- instead of one per item (in follow order each item of a page lands on a different page).
      order by fi.sort_at, fi.cid
      on conflict (viewer_did, uri) do nothing
    `.execute(tx)
    await tx.updateTable('localUser').set({ timelineBuiltAt: new Date() }).where('did', '=', did).execute()
    return { created: true }
  })
}
