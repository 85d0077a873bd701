import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import {
  createBus,
  createLogger,
  createMetricsRegistry,
  enqueueBackfill,
  enqueueOnboarding,
  registerLocalUser,
} from '@sundial/common'
import type { Db } from '@sundial/common'
import { createTestDatabase, dropDatabase, startDevNetwork } from '@sundial/devnet'
import type { DevNetwork, TestDatabase } from '@sundial/devnet'
import { Backfill } from '@sundial/firehose'
import type { FirehoseService } from '@sundial/firehose'
import {
  backfillConfig,
  deleteRecord,
  expectedTimeline,
  firehoseConfig,
  follow,
  startSundial,
  timelineUris,
  waitForFirehose,
  waitForQueueIdle,
  writePosts,
  writeReposts,
} from './harness.ts'
import type { Written } from './harness.ts'

/** Everything a replay or a late backfill could disturb, in a comparable form. */
async function indexState(db: Db) {
  const q = async (query: ReturnType<typeof sql>) => (await query.execute(db)).rows
  return {
    posts: await q(sql`select uri, cid, rev from post order by uri`),
    reposts: await q(sql`select uri, cid, rev from repost order by uri`),
    feed: await q(sql`select uri, sort_at from feed_item order by uri`),
    timelines: await q(sql`select viewer_did, uri from timeline_item order by viewer_did, uri`),
    postAgg: await q(
      sql`select * from post_agg where reply_count + repost_count + like_count + quote_count > 0 order by uri`,
    ),
    actorAgg: await q(sql`select * from actor_agg order by did`),
    tombstones: await q(sql`select uri, rev from tombstone order by uri`),
  }
}

describe('no resurrection: deletes racing a backfill', () => {
  let net: DevNetwork
  let database: TestDatabase
  let live: FirehoseService | undefined
  let backfill: Backfill | undefined

  beforeAll(async () => {
    net = await startDevNetwork()
    database = await createTestDatabase(inject('pgAdminUrl'), 'bf_deletes')
  })

  afterAll(async () => {
    await backfill?.stop()
    await live?.destroy()
    await net?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('keeps a post and a repost deleted during the author’s backfill deleted, whatever the order', async () => {
    const alice = await net.createUser('alice')
    const bob = await net.createUser('bob')
    const carol = await net.createUser('carol')
    const carolPosts = await writePosts(carol, 10)
    const bobPosts = await writePosts(bob, 120)
    const bobReposts = await writeReposts(bob, carolPosts)
    await follow(alice, bob.did)
    // Everyone is backfilled, so the full replay below has nothing new to add.
    await follow(alice, carol.did)
    await net.sync()

    const deletedDuring = { post: bobPosts[40], repost: bobReposts[3] }
    let createdDuring: Written | undefined
    // The live firehose alone; the backfill worker beside it, paused between fetching Bob's repo and writing it.
    live = await startSundial(firehoseConfig(net, database, { backfill: undefined }), database)
    const sundial = live
    backfill = new Backfill({
      cfg: backfillConfig(net.plcUrl),
      database,
      bus: createBus(undefined),
      registry: createMetricsRegistry(),
      logger: createLogger({ name: 'backfill-test', level: 'silent' }),
      maxRecordBytes: 128 * 1024,
      indexScope: 'all',
      statsMs: 500,
      beforeWrite: async (did) => {
        if (did !== bob.did || createdDuring) return
        // Bob's repo is fetched (it still holds both); they are deleted, and a post created, before it is written.
        await deleteRecord(bob, deletedDuring.post.uri)
        await deleteRecord(bob, deletedDuring.repost.uri)
        createdDuring = (await writePosts(bob, 1, 'during'))[0]
        await waitForFirehose(net, sundial)
      },
    })
    await backfill.start()
    const db = database.db
    await registerLocalUser(db, alice.did)
    await enqueueOnboarding(db, alice.did)
    await waitForQueueIdle(db)
    expect(createdDuring).toBeDefined()

    // A post deleted after the backfill wrote it goes too.
    const deletedAfter = bobPosts[80]
    await deleteRecord(bob, deletedAfter.uri)
    await waitForFirehose(net, sundial)

    const gone = [deletedDuring.post.uri, deletedDuring.repost.uri, deletedAfter.uri]
    const leftovers = await sql<{ uri: string }>`
      select uri from post where uri = any(${gone}::text[])
      union all select uri from repost where uri = any(${gone}::text[])
      union all select uri from feed_item where uri = any(${gone}::text[])
      union all select uri from timeline_item where uri = any(${gone}::text[])
    `.execute(db)
    expect(leftovers.rows).toEqual([])
    const tombstones = await db
      .selectFrom('tombstone')
      .select(['uri', 'rev'])
      .where('uri', 'in', gone)
      .execute()
    expect(tombstones).toHaveLength(3)
    // The backfill really carried the two records deleted during it: its snapshot predates their deletion.
    const bobJob = await db
      .selectFrom('backfillJob')
      .select('rev')
      .where('did', '=', bob.did)
      .executeTakeFirstOrThrow()
    for (const t of tombstones) expect(t.rev! > bobJob.rev!).toBe(true)

    const expected = await expectedTimeline(net, [alice.did, bob.did, carol.did])
    expect(expected).toHaveLength(120 + 10 - 3 + 1 + 10)
    expect(expected).toContain(createdDuring!.uri)
    expect(await timelineUris(db, alice.did)).toEqual(expected)
    const bobAgg = await db
      .selectFrom('actorAgg')
      .select('postsCount')
      .where('did', '=', bob.did)
      .executeTakeFirst()
    expect(bobAgg?.postsCount).toBe(120 - 2 + 1)
    const repostCounts = await db
      .selectFrom('postAgg')
      .select(['uri', 'repostCount'])
      .where(
        'uri',
        'in',
        carolPosts.map((p) => p.uri),
      )
      .execute()
    expect(repostCounts.filter((r) => r.repostCount === 1)).toHaveLength(9)

    // Live events in the other order: the whole stream replayed over the backfilled rows changes nothing.
    const before = await indexState(db)
    await live.destroy()
    live = undefined
    await sql`update cursor set time_us = 1`.execute(db)
    live = await startSundial(firehoseConfig(net, database, { backfill: undefined }), database)
    await waitForFirehose(net, live)
    expect(await indexState(db)).toEqual(before)

    // And a second backfill of the same repo over all of it changes nothing either.
    await db.deleteFrom('backfillJob').where('did', '=', bob.did).execute()
    await enqueueBackfill(db, { did: bob.did, reason: 'manual' })
    await waitForQueueIdle(db)
    expect(await indexState(db)).toEqual(before)
  })
})
