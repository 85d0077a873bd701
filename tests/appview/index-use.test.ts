import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { CompiledQuery } from 'kysely'
import { planBatch } from '../../services/firehose/src/batch/plan.ts'
import { applyPlan } from '../../services/firehose/src/batch/writer.ts'
import { decodedStreamWithLocalUsers } from '../firehose/helpers.ts'
import { plannedTableScans, tableRows } from '@sundial/devnet'
import { startHarness } from './harness.ts'
import type { Harness, TestUser } from './harness.ts'
import type { Ref } from './seed.ts'

// Every statement behind the AppView's methods must reach its rows through an index. On a test's few rows a table
// scan is as fast as anything; on an index of millions it is a request that never comes back. So the index gets
// 60,000 synthetic events through the firehose's own write path first (tens of thousands of rows, analyzed), and
// every statement the AppView ran is explained again with its own parameters: the planner, seeing real table
// sizes, scans a table only where no index fits.

const queries: CompiledQuery[] = []
let h: Harness
let alice: TestUser, bob: TestUser
const refs: Record<string, Ref> = {}
const minute = (n: number) => new Date(Date.UTC(2026, 0, 1, 12, n))

beforeAll(async () => {
  h = await startHarness(inject('pgAdminUrl'), { onQuery: (query) => queries.push(query) })
  ;[alice, bob] = await Promise.all([h.createUser('alice'), h.createUser('bob')])
  const { seed } = h
  const carol = 'did:plc:carolcarolcarolcarolcaro'
  await seed.actor(alice.did, alice.handle)
  await seed.actor(bob.did, bob.handle)
  await seed.actor(carol, 'carol.test')
  await seed.profile(bob.did, { displayName: 'Bob' })
  await seed.follow(alice.did, bob.did, { createdAt: minute(0) })
  await seed.follow(bob.did, alice.did, { createdAt: minute(1) })
  refs.root = await seed.post(bob.did, { text: 'root', createdAt: minute(2) })
  refs.reply = await seed.post(carol, {
    text: 'reply',
    createdAt: minute(3),
    reply: { root: refs.root, parent: refs.root },
  })
  refs.quote = await seed.post(carol, {
    text: 'quote',
    createdAt: minute(4),
    embed: { $type: 'app.bsky.embed.record', record: refs.root },
  })
  refs.repost = await seed.repost(bob.did, refs.quote, { createdAt: minute(5) })
  await seed.like(alice.did, refs.root, { createdAt: minute(6) })
  await seed.like(carol, refs.root, { createdAt: minute(7) })
  await seed.repost(alice.did, refs.root, { createdAt: minute(8) })
  await fillIndex()
})

/** Tens of thousands of rows in every table a method reads, written as the firehose writes them. */
async function fillIndex(): Promise<void> {
  // Local users among the stream's busiest authors, so timelines fill too.
  const stream = { seed: 3, count: 60_000, actors: 2_000 }
  const events = await decodedStreamWithLocalUsers(h.database.db, stream, 20)
  for (let start = 0; start < events.length; start += 2_000) {
    const plan = planBatch(events.slice(start, start + 2_000))
    await h.database.db.transaction().execute((tx) => applyPlan(tx, plan))
  }
  await h.database.pool.query('analyze')
}

afterAll(async () => {
  await h?.close()
})

describe('AppView statements use indexes', () => {
  it('scans no table of the index in any method', async () => {
    const asAlice = h.client(alice)
    const anon = h.client()
    const timeline = await asAlice.app.bsky.feed.getTimeline({ limit: 2 })
    await asAlice.app.bsky.feed.getTimeline({ limit: 2, cursor: timeline.data.cursor })
    await asAlice.call('dev.sundial.feed.getTimeline', { excludeReplies: true, langs: ['en'], limit: 2 })
    await asAlice.call('dev.sundial.feed.getTimelineStatus', {})
    for (const filter of [
      'posts_with_replies',
      'posts_no_replies',
      'posts_with_media',
      'posts_and_author_threads',
    ]) {
      const page = await anon.app.bsky.feed.getAuthorFeed({ actor: bob.did, filter, limit: 1 })
      await anon.app.bsky.feed.getAuthorFeed({ actor: bob.did, filter, cursor: page.data.cursor })
    }
    await anon.app.bsky.feed.getAuthorFeed({ actor: bob.handle })
    await asAlice.app.bsky.feed.getPostThread({ uri: refs.reply.uri })
    await anon.app.bsky.feed.getPosts({ uris: [refs.root.uri, refs.quote.uri] })
    const likes = await asAlice.app.bsky.feed.getLikes({ uri: refs.root.uri, limit: 1 })
    await asAlice.app.bsky.feed.getLikes({ uri: refs.root.uri, cursor: likes.data.cursor })
    const reposts = await anon.app.bsky.feed.getRepostedBy({ uri: refs.root.uri, limit: 1 })
    await anon.app.bsky.feed.getRepostedBy({ uri: refs.root.uri, cursor: reposts.data.cursor })
    await asAlice.app.bsky.actor.getProfile({ actor: bob.did })
    await anon.app.bsky.actor.getProfiles({ actors: [alice.did, bob.handle] })
    const follows = await asAlice.app.bsky.graph.getFollows({ actor: alice.did, limit: 1 })
    await asAlice.app.bsky.graph.getFollows({ actor: alice.did, cursor: follows.data.cursor })
    await anon.app.bsky.graph.getFollowers({ actor: bob.did })

    expect(new Set(queries.map((q) => q.sql)).size).toBeGreaterThan(20)
    const rowsIn = await tableRows(h.database.pool)
    for (const table of [
      'post',
      'like',
      'repost',
      'follow',
      'feed_item',
      'timeline_item',
      'post_agg',
      'actor',
    ]) {
      expect(rowsIn.get(table), table).toBeGreaterThan(1_000)
    }
    // Tables of a few rows here (local users, the backfill queue) are rightly read whole.
    const scans = await plannedTableScans(h.database.pool, queries, 1_000)
    expect(scans).toEqual([])
  })
})
