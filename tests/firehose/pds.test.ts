import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { registerLocalUser } from '@sundial/common'
import { createTestDatabase, dropDatabase, startDevNetwork } from '@sundial/devnet'
import type { DevNetwork, DevUser, TestDatabase } from '@sundial/devnet'
import { FirehoseService } from '@sundial/firehose'
import { canonicalJson } from './state.ts'
import { counterValues, testConfig, waitFor } from './helpers.ts'

const PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC',
  'base64',
)
const COLLECTIONS = [
  'app.bsky.feed.post',
  'app.bsky.feed.repost',
  'app.bsky.feed.like',
  'app.bsky.graph.follow',
  'app.bsky.actor.profile',
] as const

interface RepoRecord {
  uri: string
  cid: string
  value: Record<string, unknown>
}

// Accounts on a real local PDS write posts, replies, quotes, images, reposts, follows, likes, profile edits and
// deletes, change a handle and deactivate, all with @atproto/api; the PDS's repo stream reaches the firehose
// through the Jetstream server. Afterwards Postgres holds exactly what the repos hold (compared record by record
// with listRecords), deletions are tombstoned, the counts agree, and the local user's timeline has its items.
describe('firehose on a local atproto network', () => {
  let net: DevNetwork
  let database: TestDatabase
  let service: FirehoseService
  let alice: DevUser
  let bob: DevUser
  let carol: DevUser
  let dave: DevUser
  const deleted: string[] = []

  beforeAll(async () => {
    net = await startDevNetwork()
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_pds')
    service = await FirehoseService.create(
      testConfig({ jetstreamUrl: net.jetstream.subscribeUrl, databaseUrl: database.url }),
      { database, serveHttp: false },
    )
    await service.start()
    alice = await net.createUser('alice')
    bob = await net.createUser('bob')
    carol = await net.createUser('carol')
    dave = await net.createUser('dave')
    // Alice uses this AppView: her timeline is materialised as events arrive.
    await registerLocalUser(database.db, alice.did)
  }, 180_000)

  afterAll(async () => {
    await service?.destroy()
    await net?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  /** listRecords as JSON on the wire (the agent would turn links and blobs into objects). */
  async function listRecords(repo: string, collection: string): Promise<RepoRecord[]> {
    const url = new URL('/xrpc/com.atproto.repo.listRecords', net.pdsUrl)
    url.search = new URLSearchParams({ repo, collection, limit: '100' }).toString()
    const response = await fetch(url)
    expect(response.status).toBe(200)
    return ((await response.json()) as { records: RepoRecord[] }).records
  }

  async function caughtUp(): Promise<void> {
    await net.sync()
    const last = net.jetstream.lastTimeUs()
    await waitFor(
      () => (service.cursor ?? 0) >= last,
      'the firehose commits everything the PDS emitted',
      30_000,
    )
  }

  it('holds exactly what the PDS holds', { timeout: 180_000 }, async () => {
    const { data: image } = await bob.agent.uploadBlob(PIXEL_PNG, { encoding: 'image/png' })

    // Posts, a thread, quotes (plain and with media), an image post.
    const a1 = await alice.agent.post({ text: 'first post from alice', langs: ['en'] })
    const a2 = await alice.agent.post({ text: 'second, in French', langs: ['fr'] })
    const b1 = await bob.agent.post({ text: 'replying to alice', reply: { root: a1, parent: a1 } })
    const c1 = await carol.agent.post({ text: 'deeper in the thread', reply: { root: a1, parent: b1 } })
    const c2 = await carol.agent.post({
      text: 'quoting alice',
      embed: { $type: 'app.bsky.embed.record', record: a1 },
    })
    const b2 = await bob.agent.post({
      text: 'quote with a picture',
      embed: {
        $type: 'app.bsky.embed.recordWithMedia',
        record: { $type: 'app.bsky.embed.record', record: a2 },
        media: { $type: 'app.bsky.embed.images', images: [{ alt: 'pixel', image: image.blob }] },
      },
    })
    const b3 = await bob.agent.post({ text: 'this one goes away' })
    const d1 = await dave.agent.post({ text: 'dave was here' })

    // Reposts, likes, follows.
    await bob.agent.repost(a1.uri, a1.cid)
    await alice.agent.repost(c2.uri, c2.cid)
    const carolRepost = await carol.agent.repost(a2.uri, a2.cid)
    await bob.agent.like(a1.uri, a1.cid)
    await carol.agent.like(a1.uri, a1.cid)
    const carolLike = await carol.agent.like(b1.uri, b1.cid)
    await dave.agent.like(b3.uri, b3.cid)
    await alice.agent.follow(bob.did)
    await alice.agent.follow(carol.did)
    await bob.agent.follow(alice.did)
    const carolFollow = await carol.agent.follow(alice.did)
    await dave.agent.follow(bob.did)

    // Profiles, created then edited.
    await alice.agent.upsertProfile(() => ({ displayName: 'Alice' }))
    await alice.agent.upsertProfile((p) => ({ ...p, displayName: 'Alice A.', description: 'edited' }))
    await bob.agent.upsertProfile(() => ({ displayName: 'Bob', avatar: image.blob }))
    await caughtUp()

    // Deletes, a handle change, a deactivation.
    await bob.agent.deletePost(b3.uri)
    await carol.agent.deleteLike(carolLike.uri)
    await carol.agent.deleteRepost(carolRepost.uri)
    await carol.agent.deleteFollow(carolFollow.uri)
    deleted.push(b3.uri, carolLike.uri, carolRepost.uri, carolFollow.uri)
    await carol.agent.com.atproto.identity.updateHandle({ handle: 'carol2.test' })
    await dave.agent.com.atproto.server.deactivateAccount({})
    await caughtUp()

    const db = database.db
    const metrics = await service.ctx.registry.metrics()
    expect(counterValues(metrics, 'sundial_firehose_invalid_events_total', 'reason')).toEqual(new Map())
    const repos = new Map<string, Map<string, RepoRecord[]>>()
    for (const user of [alice, bob, carol]) {
      const byCollection = new Map<string, RepoRecord[]>()
      for (const collection of COLLECTIONS)
        byCollection.set(collection, await listRecords(user.did, collection))
      repos.set(user.did, byCollection)
    }
    // Dave is deactivated: his repo is not served, but what he wrote before stays indexed.
    const all = (collection: string) => [...repos.values()].flatMap((r) => r.get(collection)!)

    // Records, one by one.
    const posts = await db
      .selectFrom('post')
      .select(['uri', 'cid', 'record', 'text', 'replyParent', 'replyRoot', 'embedUri'])
      .execute()
    const byUri = new Map(posts.map((p) => [p.uri, p]))
    for (const record of all('app.bsky.feed.post')) {
      const stored = byUri.get(record.uri)
      expect(stored, record.uri).toBeDefined()
      expect(stored!.cid).toBe(record.cid)
      expect(canonicalJson(stored!.record)).toBe(canonicalJson(record.value))
      expect(stored!.text).toBe(record.value.text)
    }
    expect(posts.map((p) => p.uri).sort()).toEqual(
      [...all('app.bsky.feed.post').map((r) => r.uri), d1.uri].sort(),
    )
    expect(byUri.get(c1.uri)).toMatchObject({ replyParent: b1.uri, replyRoot: a1.uri })
    expect(byUri.get(c2.uri)!.embedUri).toBe(a1.uri)
    expect(byUri.get(b2.uri)!.embedUri).toBe(a2.uri)

    for (const [collection, table] of [
      ['app.bsky.feed.like', 'like'],
      ['app.bsky.feed.repost', 'repost'],
    ] as const) {
      const rows = await sql<{ uri: string; cid: string; subjectUri: string; subjectCid: string }>`
        select uri, cid, subject_uri, subject_cid from ${sql.table(table)} where author_did <> ${dave.did}
      `.execute(db)
      const expected = all(collection).map((r) => {
        const subject = r.value.subject as { uri: string; cid: string }
        return { uri: r.uri, cid: r.cid, subjectUri: subject.uri, subjectCid: subject.cid }
      })
      expect(rows.rows.sort(byUriOrder)).toEqual(expected.sort(byUriOrder))
    }
    const follows = await db
      .selectFrom('follow')
      .select(['uri', 'cid', 'subjectDid'])
      .where('authorDid', '<>', dave.did)
      .execute()
    expect(follows.sort(byUriOrder)).toEqual(
      all('app.bsky.graph.follow')
        .map((r) => ({ uri: r.uri, cid: r.cid, subjectDid: r.value.subject as string }))
        .sort(byUriOrder),
    )
    const profiles = await db
      .selectFrom('profile')
      .select(['uri', 'cid', 'record', 'displayName', 'avatarCid'])
      .execute()
    expect(
      profiles.map((p) => ({ uri: p.uri, cid: p.cid, record: canonicalJson(p.record) })).sort(byUriOrder),
    ).toEqual(
      all('app.bsky.actor.profile')
        .map((r) => ({ uri: r.uri, cid: r.cid, record: canonicalJson(r.value) }))
        .sort(byUriOrder),
    )
    expect(profiles.find((p) => p.uri.includes(alice.did))!.displayName).toBe('Alice A.')
    expect(profiles.find((p) => p.uri.includes(bob.did))!.avatarCid).toBe(image.blob.ref.toString())

    // Deletions: gone, and tombstoned.
    const tombstones = await db.selectFrom('tombstone').select(['uri', 'collection']).execute()
    expect(tombstones.map((t) => t.uri).sort()).toEqual([...deleted].sort())
    for (const uri of deleted) expect(byUri.has(uri)).toBe(false)

    // Handles and account status.
    const actors = new Map((await db.selectFrom('actor').selectAll().execute()).map((a) => [a.did, a]))
    expect(actors.get(alice.did)).toMatchObject({ handle: 'alice.test', status: 'active', active: true })
    expect(actors.get(carol.did)).toMatchObject({ handle: 'carol2.test', active: true })
    expect(actors.get(dave.did)).toMatchObject({ status: 'deactivated', active: false })

    // Counts from the rows the repos hold.
    const postAgg = new Map((await db.selectFrom('postAgg').selectAll().execute()).map((a) => [a.uri, a]))
    expect(postAgg.get(a1.uri)).toMatchObject({ likeCount: 2, repostCount: 1, replyCount: 1, quoteCount: 1 })
    expect(postAgg.get(a2.uri)).toMatchObject({ likeCount: 0, repostCount: 0, replyCount: 0, quoteCount: 1 })
    expect(postAgg.get(b1.uri)).toMatchObject({ likeCount: 0, replyCount: 1 })
    expect(postAgg.get(c2.uri)).toMatchObject({ repostCount: 1 })
    expect(postAgg.get(b3.uri)).toMatchObject({ likeCount: 1 })
    const actorAgg = new Map((await db.selectFrom('actorAgg').selectAll().execute()).map((a) => [a.did, a]))
    expect(actorAgg.get(alice.did)).toMatchObject({ postsCount: 2, followsCount: 2, followersCount: 1 })
    expect(actorAgg.get(bob.did)).toMatchObject({ postsCount: 2, followsCount: 1, followersCount: 2 })
    expect(actorAgg.get(carol.did)).toMatchObject({ postsCount: 2, followsCount: 0, followersCount: 1 })

    // Alice's materialised timeline: her own items and those of the accounts she follows, not Dave's.
    const timeline = await db
      .selectFrom('timelineItem')
      .select(['uri', 'type', 'originatorDid'])
      .where('viewerDid', '=', alice.did)
      .execute()
    const expectedItems = [alice, bob, carol].flatMap((u) =>
      [
        ...repos.get(u.did)!.get('app.bsky.feed.post')!,
        ...repos.get(u.did)!.get('app.bsky.feed.repost')!,
      ].map((r) => r.uri),
    )
    expect(timeline.map((t) => t.uri).sort()).toEqual(expectedItems.sort())
  })
})

function byUriOrder(a: { uri: string }, b: { uri: string }): number {
  return a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0
}
