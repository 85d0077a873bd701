import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { applyFollow, fanOutFeedItems, holdFanOutLock, registerLocalUser } from '@sundial/common'
import type { Db, DbTx } from '@sundial/common'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { JetstreamServer, syntheticEvents } from '@sundial/jetstream-server'
import type { JetstreamEventInput } from '@sundial/jetstream-server'
import { FirehoseService } from '@sundial/firehose'
import { planBatch } from '../../services/firehose/src/batch/plan.ts'
import { applyPlan } from '../../services/firehose/src/batch/writer.ts'
import { laneCursorName, prepareLaneCursors, writeLaneCursor } from '../../services/firehose/src/db/cursor.ts'
import type { IndexEvent, IndexedRecord } from '../../services/firehose/src/ingest/events.ts'
import { expectedState } from './model.ts'
import { diffStates, readIndexedState } from './state.ts'
import { counterValues, laneCursors, storedCursor, testConfig, waitFor } from './helpers.ts'

const CID = 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i'
const VIEWER = 'did:plc:viewerviewerviewerviewer'
const POSTER = 'did:plc:posterposterposterposter'
const FOLLOWED = 'did:plc:followedfollowedfollowed'

const SORTABLE = '234567abcdefghijklmnopqrstuvwxyz'

/** A TID from a number (base32-sortable, so revisions increase with it). */
function tid(n: number): string {
  let tail = ''
  for (let i = 0; i < 11; i++) {
    tail = SORTABLE[n % 32] + tail
    n = Math.floor(n / 32)
  }
  return `3m${tail}`
}

function post(author: string, rkey: string, timeUs: number): JetstreamEventInput {
  return {
    did: author,
    time_us: timeUs,
    kind: 'commit',
    commit: {
      rev: tid(timeUs % 1_000_000),
      operation: 'create',
      collection: 'app.bsky.feed.post',
      rkey,
      cid: CID,
      record: { $type: 'app.bsky.feed.post', text: `post ${rkey}`, createdAt: '2026-11-23T08:00:00.000Z' },
    },
  }
}

/** Events as the writer gets them, for driving applyPlan directly. */
const SUBJECT = `at://${POSTER}/app.bsky.feed.post/3ksubjectaa2`

/** A create of `collection/rkey` by `author`: the columns every record row shares, plus the subject's. */
function createEvent(
  author: string,
  collection: 'app.bsky.feed.repost' | 'app.bsky.graph.follow',
  rkey: string,
  timeUs: number,
  subject: { subjectUri: string; subjectCid: string } | { subjectDid: string },
): IndexEvent {
  const uri = `at://${author}/${collection}/${rkey}`
  const rev = `3m${rkey}`
  const row = {
    uri,
    cid: CID,
    authorDid: author,
    createdAt: '2026-11-23T08:00:00.000Z',
    timeUs,
    rev,
    ...subject,
  }
  return {
    kind: 'write',
    timeUs,
    did: author,
    uri,
    rev,
    op: 'create',
    record: { collection, row } as IndexedRecord,
  }
}

function repostEvent(author: string, rkey: string, timeUs: number): IndexEvent {
  return createEvent(author, 'app.bsky.feed.repost', rkey, timeUs, { subjectUri: SUBJECT, subjectCid: CID })
}

function followEvent(author: string, subject: string, rkey: string, timeUs: number): IndexEvent {
  return createEvent(author, 'app.bsky.graph.follow', rkey, timeUs, { subjectDid: subject })
}

async function timelineUris(db: Db, viewer: string): Promise<string[]> {
  const rows = await db.selectFrom('timelineItem').select('uri').where('viewerDid', '=', viewer).execute()
  return rows.map((r) => r.uri).sort()
}

/** Resolves once `pid`'s backend waits for a lock: a row lock, or with `advisory` the writers' lock. */
async function waitingOnLock(db: Db, pid: number, advisory = false): Promise<void> {
  await waitFor(async () => {
    const { rows } = await sql<{ event: string | null; type: string | null }>`
      select wait_event as event, wait_event_type as type from pg_stat_activity where pid = ${pid}
    `.execute(db)
    return advisory ? rows[0]?.event === 'advisory' : rows[0]?.type === 'Lock'
  }, `backend ${pid} waits for a lock`)
}

/**
 * A transaction that runs `work`, then stays open until `release` is called; `pid` is its backend's, `done` its
 * commit.
 */
function openTransaction(db: Db, work: (tx: DbTx) => Promise<void>) {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let pid!: (value: number) => void
  const backend = new Promise<number>((resolve) => (pid = resolve))
  let worked!: (err?: unknown) => void
  const workDone = new Promise<void>((resolve, reject) => (worked = (err) => (err ? reject(err) : resolve())))
  const done = db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)
    pid(rows[0].pid)
    try {
      await work(tx)
    } catch (err) {
      worked(err)
      throw err
    }
    worked()
    await released
  })
  done.catch(() => undefined)
  return { backend, workDone, release, done }
}

// Parallel writer lanes (FIREHOSE_WRITERS): events spread over several connections by a hash of their DID.
describe('firehose writer lanes', () => {
  let server: JetstreamServer
  let database: TestDatabase

  beforeAll(async () => {
    server = await JetstreamServer.create()
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_lanes')
  })

  afterAll(async () => {
    await server?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('keeps the stored cursor at the smallest lane cursor while lanes commit concurrently', async () => {
    const db = database.db
    await prepareLaneCursors(db, 2)
    const lanes = [laneCursorName(0), laneCursorName(1)]
    // Lane 1 commits further ahead while lane 0 is still open: the stored cursor must not pass lane 0.
    const lane0 = openTransaction(db, (tx) => writeLaneCursor(tx, { name: lanes[0], lanes }, 200))
    await lane0.workDone
    const lane1 = openTransaction(db, (tx) => writeLaneCursor(tx, { name: lanes[1], lanes }, 300))
    await waitingOnLock(db, await lane1.backend)
    lane1.release()
    lane0.release()
    await Promise.all([lane0.done, lane1.done])
    expect(await storedCursor(db)).toBe(200)
    await db.transaction().execute((tx) => writeLaneCursor(tx, { name: lanes[0], lanes }, 400))
    expect(await storedCursor(db)).toBe(300)
    expect(await laneCursors(db)).toEqual({ [lanes[0]]: 400, [lanes[1]]: 300 })

    // A restart with another lane count: the resume point is the minimum, every new lane starts from it, and
    // rows of lanes that no longer run are gone (they would hold the minimum back forever).
    expect(await prepareLaneCursors(db, 3)).toBe(300)
    expect(await laneCursors(db)).toEqual({
      [laneCursorName(0)]: 300,
      [laneCursorName(1)]: 300,
      [laneCursorName(2)]: 300,
    })
    await sql`delete from cursor`.execute(db)
  })

  it('resumes from the smallest lane cursor and moves idle lanes along', async () => {
    const db = database.db
    // Every event from one account: with four lanes, three of them never get an event to write.
    const base = 1_700_000_000_000_000
    const times: number[] = []
    for (let i = 0; i < 60; i++)
      times.push(server.emit(post(POSTER, `3kpost${String(i).padStart(6, 'a')}`, base + i)))
    const resumeAt = times[20]
    // As a crash would leave it: lane 0 got further than lane 1 (which holds the minimum), and a row of a lane
    // from an earlier run with more lanes lies around.
    await db
      .insertInto('cursor')
      .values([
        { name: 'firehose', timeUs: resumeAt },
        { name: laneCursorName(0), timeUs: times[40] },
        { name: laneCursorName(1), timeUs: resumeAt },
        { name: laneCursorName(7), timeUs: 1 },
      ])
      .execute()
    const cfg = testConfig({
      jetstreamUrl: server.subscribeUrl,
      databaseUrl: database.url,
      env: { FIREHOSE_WRITERS: '4', FIREHOSE_REWIND_SECONDS: '0', FIREHOSE_BATCH_SIZE: '10' },
    })
    const service = await FirehoseService.create(cfg, { database, serveHttp: false })
    await service.start()
    try {
      const last = times[times.length - 1]
      await waitFor(async () => (await storedCursor(db)) === last, 'the stored cursor reaches the last event')
      // Replay starts inclusively at the minimum: events before it are not replayed, the rest are written.
      const posts = await db.selectFrom('post').select('rkey').execute()
      expect(posts.length).toBe(40)
      // The three idle lanes moved with every chunk too, or the stored minimum would have stayed behind.
      expect(await laneCursors(db)).toEqual({
        [laneCursorName(0)]: last,
        [laneCursorName(1)]: last,
        [laneCursorName(2)]: last,
        [laneCursorName(3)]: last,
      })
    } finally {
      await service.destroy()
    }
    await sql`truncate post, feed_item, actor, actor_agg, post_agg, cursor`.execute(db)
  })

  it('loses no timeline item when a local follow and a repost by its subject commit on different lanes', async () => {
    const db = database.db
    await registerLocalUser(db, VIEWER)
    const repostUri = (rkey: string) => `at://${FOLLOWED}/app.bsky.feed.repost/${rkey}`
    // A repost changes no row the follow also changes (a post would: both count on the subject's actor_agg row,
    // which happens to order them), so only the writers' lock orders the two transactions.

    // Order 1: the follow's transaction (exclusive lock) first; the repost's lane waits for it, then fans out to
    // the new follower.
    const follow1 = openTransaction(db, async (tx) => {
      await applyPlan(tx, planBatch([followEvent(VIEWER, FOLLOWED, '3kfollowaaa2', 10)]), { live: true })
    })
    await follow1.workDone
    const repost1 = openTransaction(db, async (tx) => {
      await applyPlan(tx, planBatch([repostEvent(FOLLOWED, '3krepostaaa2', 11)]), { live: true })
    })
    await waitingOnLock(db, await repost1.backend, true)
    follow1.release()
    repost1.release()
    await Promise.all([follow1.done, repost1.done])
    expect(await timelineUris(db, VIEWER)).toEqual([repostUri('3krepostaaa2')])
    await sql`truncate follow, timeline_item`.execute(db)

    // Order 2: the repost's transaction (shared lock) first, still open; the follow waits for it, then copies the
    // subject's items, the new repost among them.
    const repost2 = openTransaction(db, async (tx) => {
      await applyPlan(tx, planBatch([repostEvent(FOLLOWED, '3krepostaaa3', 12)]), { live: true })
    })
    await repost2.workDone
    const follow2 = openTransaction(db, async (tx) => {
      await applyPlan(tx, planBatch([followEvent(VIEWER, FOLLOWED, '3kfollowaaa3', 13)]), { live: true })
    })
    await waitingOnLock(db, await follow2.backend, true)
    repost2.release()
    follow2.release()
    await Promise.all([repost2.done, follow2.done])
    expect(await timelineUris(db, VIEWER)).toEqual([repostUri('3krepostaaa2'), repostUri('3krepostaaa3')])
    await sql`truncate follow, timeline_item`.execute(db)

    // The race is real: with both sides holding the lock shared (as every batch did before lanes), each reads
    // the other as uncommitted and the item is lost.
    const item = repostUri('3krepostaaa4')
    const followShared = openTransaction(db, async (tx) => {
      await holdFanOutLock(tx)
      await sql`
        insert into follow (uri, cid, author_did, subject_did, created_at)
        values (${`at://${VIEWER}/app.bsky.graph.follow/3kfollowaaa4`}, ${CID}, ${VIEWER}, ${FOLLOWED}, now())
      `.execute(tx)
      await applyFollow(tx, VIEWER, FOLLOWED)
    })
    await followShared.workDone
    const repostShared = openTransaction(db, async (tx) => {
      await holdFanOutLock(tx)
      await sql`
        insert into feed_item (uri, cid, type, post_uri, originator_did, sort_at)
        values (${item}, ${CID}, 'repost', ${SUBJECT}, ${FOLLOWED}, now())
      `.execute(tx)
      await fanOutFeedItems(tx, [item])
    })
    await repostShared.workDone
    followShared.release()
    repostShared.release()
    await Promise.all([followShared.done, repostShared.done])
    expect(await timelineUris(db, VIEWER)).not.toContain(item)
    await sql`
      truncate repost, feed_item, follow, timeline_item, local_user, actor, actor_agg, post_agg, cursor
    `.execute(db)
  })

  it(
    'keeps every count exact with many lanes contending for the same rows',
    { timeout: 120_000 },
    async () => {
      const db = database.db
      // Few accounts and small batches: lanes keep updating the same aggregate rows at once, posts are deleted on
      // one lane while likes, reposts, replies and quotes of them land on others.
      const options = { seed: 77, count: 12_000, actors: 40 }
      const lanes = await JetstreamServer.create()
      try {
        lanes.loadSynthetic(options)
        const expected = expectedState(syntheticEvents(options))
        const cfg = testConfig({
          jetstreamUrl: lanes.subscribeUrl,
          databaseUrl: database.url,
          env: { FIREHOSE_WRITERS: '4', FIREHOSE_BATCH_SIZE: '40', FIREHOSE_BATCH_MS: '5' },
        })
        const service = await FirehoseService.create(cfg, { database, serveHttp: false })
        await service.start()
        try {
          await waitFor(
            async () => (await storedCursor(db)) === expected.lastTimeUs,
            'the stored cursor reaches the last event',
            100_000,
          )
          expect(diffStates(await readIndexedState(db), expected.state)).toEqual([])
          const errors = counterValues(
            await service.ctx.registry.metrics(),
            'sundial_firehose_commit_errors_total',
            'kind',
          )
          // Rows are locked in one order on every lane: no deadlock to retry.
          expect(errors.get('transient') ?? 0).toBe(0)
        } finally {
          await service.destroy()
        }
      } finally {
        await lanes.close()
      }
    },
  )
})
