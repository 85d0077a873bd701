import type { Agent } from '@atproto/api'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startHarness } from './harness.ts'
import type { Harness, TestUser } from './harness.ts'
import { cidFor } from './seed.ts'
import type { Ref } from './seed.ts'

// Every method through an @atproto/api client (which validates responses against the official lexicons),
// against rows written directly into the index.

let h: Harness
let alice: TestUser, bob: TestUser, carol: TestUser
const dave = 'did:plc:davedavedavedavedavedave'
let asAlice: Agent, anon: Agent
let imageCid: string, avatarCid: string
const refs: Record<string, Ref> = {}
const minute = (n: number) => new Date(Date.UTC(2026, 0, 1, 12, n))

beforeAll(async () => {
  h = await startHarness(inject('pgAdminUrl'))
  ;[alice, bob, carol] = await Promise.all([
    h.createUser('alice'),
    h.createUser('bob'),
    h.createUser('carol'),
  ])
  const { seed } = h
  imageCid = await cidFor({ image: 1 })
  avatarCid = await cidFor({ avatar: 1 })
  await seed.actor(alice.did, alice.handle, { rev: '3kaliceaaaaaa' })
  await seed.actor(bob.did, bob.handle, { pds: h.network.pds.url })
  await seed.actor(carol.did, carol.handle)
  await seed.actor(dave, null)
  await seed.profile(alice.did, { displayName: 'Alice', description: 'hi', avatarCid })
  await seed.profile(bob.did, { displayName: 'Bob', avatarCid })
  await seed.follow(alice.did, bob.did, { createdAt: minute(0) })
  await seed.follow(alice.did, carol.did, { createdAt: minute(1) })
  await seed.follow(bob.did, alice.did, { createdAt: minute(2) })
  refs.bobImage = await seed.post(bob.did, {
    text: 'bob with image',
    createdAt: minute(10),
    embed: {
      $type: 'app.bsky.embed.images',
      images: [
        {
          alt: 'a cat',
          image: { $type: 'blob', ref: { $link: imageCid }, mimeType: 'image/jpeg', size: 10 },
          aspectRatio: { width: 4, height: 3 },
        },
      ],
    },
    langs: ['en-US'],
  })
  refs.carolLink = await seed.post(carol.did, {
    text: 'carol link',
    createdAt: minute(11),
    embed: {
      $type: 'app.bsky.embed.external',
      external: { uri: 'https://example.com/', title: 'Example', description: 'An example' },
    },
    langs: ['ja'],
  })
  refs.aliceOwn = await seed.post(alice.did, { text: 'alice own post', createdAt: minute(12) })
  refs.carolReply = await seed.post(carol.did, {
    text: 'carol replies to bob',
    createdAt: minute(13),
    reply: { root: refs.bobImage, parent: refs.bobImage },
  })
  refs.bobQuote = await seed.post(bob.did, {
    text: 'bob quotes carol',
    createdAt: minute(14),
    embed: { $type: 'app.bsky.embed.record', record: refs.carolLink },
  })
  refs.daveUnfollowed = await seed.post(dave, { text: 'dave is not followed', createdAt: minute(15) })
  refs.carolRepostsBob = await seed.repost(carol.did, refs.bobImage, { createdAt: minute(16) })
  refs.bobRepostsDave = await seed.repost(bob.did, refs.daveUnfollowed, { createdAt: minute(17) })
  refs.bobDeleted = await seed.post(bob.did, { text: 'deleted soon', createdAt: minute(18) })
  await seed.deleteRecord(refs.bobDeleted.uri)
  const missing = { uri: `at://${dave}/app.bsky.feed.post/3kmissingpost`, cid: await cidFor({ missing: 1 }) }
  refs.repostOfMissing = await seed.repost(carol.did, missing, { createdAt: minute(19) })
  // Claims to be from the future: sorts at the time it was seen (minute 20), not at its createdAt.
  refs.carolFuture = await seed.post(carol.did, {
    text: 'from the future',
    createdAt: new Date(Date.UTC(2030, 0, 1)),
    indexedAt: minute(20),
  })
  refs.aliceLikesBob = await seed.like(alice.did, refs.bobImage, { createdAt: minute(21) })
  refs.carolLikesBob = await seed.like(carol.did, refs.bobImage, { createdAt: minute(22) })
  refs.aliceRepostsCarol = await seed.repost(alice.did, refs.carolLink, { createdAt: minute(23) })
  // A like dated in the future sorts at the time it was seen (minute 24), below carol's of minute 25.
  refs.aliceLikesFuture = await seed.like(alice.did, refs.carolFuture, {
    createdAt: new Date(Date.UTC(2031, 0, 1)),
    indexedAt: minute(24),
  })
  refs.carolLikesFuture = await seed.like(carol.did, refs.carolFuture, { createdAt: minute(25) })
  asAlice = h.client(alice)
  anon = h.client()
})

afterAll(async () => {
  await h?.close()
})

const expectedTimeline = () => [
  { uri: refs.carolLink.uri, reason: refs.aliceRepostsCarol.uri },
  { uri: refs.carolFuture.uri },
  { uri: refs.daveUnfollowed.uri, reason: refs.bobRepostsDave.uri },
  { uri: refs.bobImage.uri, reason: refs.carolRepostsBob.uri },
  { uri: refs.bobQuote.uri },
  { uri: refs.carolReply.uri },
  { uri: refs.aliceOwn.uri },
  { uri: refs.carolLink.uri },
  { uri: refs.bobImage.uri },
]

function summary(feed: { post: { uri: string }; reason?: unknown }[]) {
  return feed.map((item) => {
    const reason = item.reason as { uri?: string } | undefined
    return reason?.uri ? { uri: item.post.uri, reason: reason.uri } : { uri: item.post.uri }
  })
}

describe('app.bsky.feed.getTimeline', () => {
  it('returns own and followed posts and reposts, newest sortAt first, hydrated', async () => {
    const { data, headers } = await asAlice.app.bsky.feed.getTimeline({ limit: 50 })
    expect(summary(data.feed)).toEqual(expectedTimeline())
    expect(data.cursor).toBeUndefined()
    expect(headers['atproto-repo-rev']).toBe('3kaliceaaaaaa')

    const bobImage = data.feed.find((i) => i.post.uri === refs.bobImage.uri && !i.reason)!
    expect(bobImage.post.author).toMatchObject({ did: bob.did, handle: bob.handle, displayName: 'Bob' })
    expect(bobImage.post.author.avatar).toContain(`cid=${avatarCid}`)
    expect(bobImage.post.author.avatar).toContain(h.network.pds.url)
    expect(bobImage.post).toMatchObject({ likeCount: 2, repostCount: 1, replyCount: 1, quoteCount: 0 })
    expect(bobImage.post.viewer?.like).toBe(refs.aliceLikesBob.uri)
    expect(bobImage.post.embed).toMatchObject({
      $type: 'app.bsky.embed.images#view',
      images: [{ alt: 'a cat', aspectRatio: { width: 4, height: 3 } }],
    })

    const reply = data.feed.find((i) => i.post.uri === refs.carolReply.uri)!
    expect(reply.reply?.root).toMatchObject({ $type: 'app.bsky.feed.defs#postView', uri: refs.bobImage.uri })
    expect(reply.reply?.parent).toMatchObject({ uri: refs.bobImage.uri })
    expect(reply.post.author.avatar).toBeUndefined()

    const quote = data.feed.find((i) => i.post.uri === refs.bobQuote.uri)!
    expect(quote.post.embed).toMatchObject({
      $type: 'app.bsky.embed.record#view',
      record: {
        $type: 'app.bsky.embed.record#viewRecord',
        uri: refs.carolLink.uri,
        embeds: [{ $type: 'app.bsky.embed.external#view', external: { uri: 'https://example.com/' } }],
      },
    })

    const repost = data.feed.find((i) => i.reason && i.post.uri === refs.daveUnfollowed.uri)!
    expect(repost.reason).toMatchObject({ $type: 'app.bsky.feed.defs#reasonRepost', by: { did: bob.did } })
    // dave has an actor row without a handle
    expect(repost.post.author.handle).toBe('handle.invalid')

    const future = data.feed.find((i) => i.post.uri === refs.carolFuture.uri)!
    expect(future.post.indexedAt).toBe(minute(20).toISOString())
  })

  it('pages with keyset cursors to the same items', async () => {
    const seen: ReturnType<typeof summary> = []
    let cursor: string | undefined
    let pages = 0
    do {
      const { data } = await asAlice.app.bsky.feed.getTimeline({ limit: 2, cursor })
      seen.push(...summary(data.feed))
      cursor = data.cursor
      pages += 1
      if (cursor) expect(cursor).toMatch(/^\d+__[a-z0-9]+$/)
    } while (cursor && pages < 20)
    expect(seen).toEqual(expectedTimeline())
  })

  it('picks up items written after the viewer became local (fan-out on write)', async () => {
    const late = await h.seed.post(bob.did, { text: 'late', createdAt: minute(30) })
    const { data } = await asAlice.app.bsky.feed.getTimeline({ limit: 1 })
    expect(data.feed[0].post.uri).toBe(late.uri)
    await h.seed.deleteRecord(late.uri)
  })

  it('rejects a malformed cursor and bad parameters with InvalidRequest', async () => {
    for (const cursor of ['nope', '12__', '__abc', 'abc__def', '1__2__3', '99999999999999999__x']) {
      await expect(asAlice.app.bsky.feed.getTimeline({ cursor })).rejects.toMatchObject({
        status: 400,
        error: 'InvalidRequest',
      })
    }
    await expect(asAlice.app.bsky.feed.getTimeline({ limit: 1000 })).rejects.toMatchObject({ status: 400 })
  })

  it('requires auth', async () => {
    await expect(anon.app.bsky.feed.getTimeline({})).rejects.toMatchObject({ status: 401 })
  })
})

describe('embeds and records', () => {
  it('shows quotes of quotes two levels deep, media with quotes, and records unchanged', async () => {
    const nested = await h.seed.post(carol.did, {
      text: 'quote of a quote, with an image',
      createdAt: minute(40),
      embed: {
        $type: 'app.bsky.embed.recordWithMedia',
        record: { $type: 'app.bsky.embed.record', record: refs.bobQuote },
        media: {
          $type: 'app.bsky.embed.images',
          images: [
            { alt: '', image: { $type: 'blob', ref: { $link: imageCid }, mimeType: 'image/png', size: 1 } },
          ],
        },
      },
      extra: { custom_field: { snake_key: 1 } },
    })
    try {
      const { data } = await anon.app.bsky.feed.getPosts({ uris: [nested.uri] })
      const post = data.posts[0]
      expect((post.record as Record<string, unknown>).custom_field).toEqual({ snake_key: 1 })
      expect(post.embed).toMatchObject({
        $type: 'app.bsky.embed.recordWithMedia#view',
        media: { $type: 'app.bsky.embed.images#view' },
        record: {
          record: {
            $type: 'app.bsky.embed.record#viewRecord',
            uri: refs.bobQuote.uri,
            embeds: [
              {
                $type: 'app.bsky.embed.record#view',
                record: { $type: 'app.bsky.embed.record#viewRecord', uri: refs.carolLink.uri },
              },
            ],
          },
        },
      })
      const inner = (post.embed as { record: { record: { embeds: { record: { embeds?: unknown } }[] } } })
        .record.record.embeds[0].record
      expect(inner.embeds).toBeUndefined()
      const { data: quoted } = await anon.app.bsky.feed.getPosts({ uris: [refs.bobQuote.uri] })
      expect(quoted.posts[0].quoteCount).toBe(1)
    } finally {
      await h.seed.deleteRecord(nested.uri)
    }
  })
})

describe('app.bsky.feed.getAuthorFeed', () => {
  const uris = (feed: { post: { uri: string } }[]) => feed.map((i) => i.post.uri)

  it('lists posts and reposts with each filter', async () => {
    const all = await anon.app.bsky.feed.getAuthorFeed({ actor: bob.handle })
    expect(uris(all.data.feed)).toEqual([refs.daveUnfollowed.uri, refs.bobQuote.uri, refs.bobImage.uri])
    expect(all.data.feed[0].post.viewer).toBeUndefined()

    const carolAll = await asAlice.app.bsky.feed.getAuthorFeed({ actor: carol.did })
    expect(uris(carolAll.data.feed)).toEqual([
      refs.carolFuture.uri,
      refs.bobImage.uri,
      refs.carolReply.uri,
      refs.carolLink.uri,
    ])
    const noReplies = await anon.app.bsky.feed.getAuthorFeed({ actor: carol.did, filter: 'posts_no_replies' })
    expect(uris(noReplies.data.feed)).toEqual([refs.carolFuture.uri, refs.bobImage.uri, refs.carolLink.uri])
    const media = await anon.app.bsky.feed.getAuthorFeed({ actor: bob.did, filter: 'posts_with_media' })
    expect(uris(media.data.feed)).toEqual([refs.bobImage.uri])
    const threads = await anon.app.bsky.feed.getAuthorFeed({
      actor: carol.did,
      filter: 'posts_and_author_threads',
    })
    expect(uris(threads.data.feed)).toEqual([refs.carolFuture.uri, refs.bobImage.uri, refs.carolLink.uri])
    const video = await anon.app.bsky.feed.getAuthorFeed({ actor: bob.did, filter: 'posts_with_video' })
    expect(video.data.feed).toEqual([])
  })

  it('pages', async () => {
    const first = await anon.app.bsky.feed.getAuthorFeed({ actor: carol.did, limit: 3 })
    const second = await anon.app.bsky.feed.getAuthorFeed({
      actor: carol.did,
      limit: 3,
      cursor: first.data.cursor,
    })
    expect(uris([...first.data.feed, ...second.data.feed])).toHaveLength(4)
    expect(second.data.cursor).toBeUndefined()
  })

  it('answers an unknown actor like the reference', async () => {
    await expect(anon.app.bsky.feed.getAuthorFeed({ actor: 'nobody.test' })).rejects.toMatchObject({
      status: 400,
      error: 'InvalidRequest',
      message: 'Profile not found',
    })
    await expect(
      anon.app.bsky.feed.getAuthorFeed({ actor: 'did:plc:unknownunknownunknown' }),
    ).rejects.toMatchObject({ status: 400, message: 'Profile not found' })
    await expect(anon.app.bsky.feed.getAuthorFeed({ actor: 'not a handle!' })).rejects.toMatchObject({
      status: 400,
    })
  })
})

describe('app.bsky.feed.getPostThread / getPosts', () => {
  it('returns a thread with parents and replies', async () => {
    const { data } = await asAlice.app.bsky.feed.getPostThread({ uri: refs.carolReply.uri })
    const thread = data.thread as {
      post: { uri: string }
      parent?: { post: { uri: string } }
      replies?: unknown[]
    }
    expect(thread.post.uri).toBe(refs.carolReply.uri)
    expect(thread.parent?.post.uri).toBe(refs.bobImage.uri)
    expect(thread.replies).toEqual([])

    const root = await anon.app.bsky.feed.getPostThread({ uri: refs.bobImage.uri, depth: 1 })
    const rootThread = root.data.thread as { replies?: { post: { uri: string } }[]; parent?: unknown }
    expect(rootThread.replies?.map((r) => r.post.uri)).toEqual([refs.carolReply.uri])
    expect(rootThread.parent).toBeUndefined()
    const shallow = await anon.app.bsky.feed.getPostThread({ uri: refs.carolReply.uri, parentHeight: 0 })
    expect((shallow.data.thread as { parent?: unknown }).parent).toBeUndefined()
  })

  it('answers a missing post with NotFound', async () => {
    await expect(anon.app.bsky.feed.getPostThread({ uri: refs.bobDeleted.uri })).rejects.toMatchObject({
      status: 400,
      error: 'NotFound',
    })
    await expect(anon.app.bsky.feed.getPostThread({ uri: 'not-a-uri' })).rejects.toMatchObject({
      status: 400,
    })
  })

  it('returns posts in the requested order, skipping unknown ones, resolving handles', async () => {
    const byHandle = refs.bobQuote.uri.replace(bob.did, bob.handle)
    const { data } = await asAlice.app.bsky.feed.getPosts({
      uris: [refs.carolLink.uri, refs.bobDeleted.uri, byHandle, refs.carolLink.uri],
    })
    expect(data.posts.map((p) => p.uri)).toEqual([refs.carolLink.uri, refs.bobQuote.uri])
    expect(data.posts[0].viewer?.repost).toBe(refs.aliceRepostsCarol.uri)
  })
})

describe('app.bsky.feed.getRepostedBy / getLikes', () => {
  it('lists reposters and likers, newest first, paged', async () => {
    const reposts = await anon.app.bsky.feed.getRepostedBy({ uri: refs.bobImage.uri })
    expect(reposts.data.repostedBy.map((p) => p.did)).toEqual([carol.did])
    const likes = await asAlice.app.bsky.feed.getLikes({ uri: refs.bobImage.uri })
    expect(likes.data.likes.map((l) => l.actor.did)).toEqual([carol.did, alice.did])
    expect(likes.data.likes[1].createdAt).toBe(minute(21).toISOString())
    const first = await anon.app.bsky.feed.getLikes({ uri: refs.bobImage.uri, limit: 1 })
    const second = await anon.app.bsky.feed.getLikes({
      uri: refs.bobImage.uri,
      limit: 1,
      cursor: first.data.cursor,
    })
    expect([...first.data.likes, ...second.data.likes].map((l) => l.actor.did)).toEqual([
      carol.did,
      alice.did,
    ])
    // As the reference AppView: by sort time (the earlier of createdAt and indexedAt), which indexedAt shows.
    const future = await anon.app.bsky.feed.getLikes({ uri: refs.carolFuture.uri })
    expect(future.data.likes.map((l) => [l.actor.did, l.createdAt, l.indexedAt])).toEqual([
      [carol.did, minute(25).toISOString(), minute(25).toISOString()],
      [alice.did, '2031-01-01T00:00:00.000Z', minute(24).toISOString()],
    ])
    const none = await anon.app.bsky.feed.getLikes({ uri: refs.bobDeleted.uri })
    expect(none.data.likes).toEqual([])
    await expect(anon.app.bsky.feed.getLikes({ uri: refs.bobImage.uri, cursor: 'x' })).rejects.toMatchObject({
      status: 400,
    })
  })
})

describe('app.bsky.actor.getProfile(s)', () => {
  it('returns detailed profiles with counts and viewer state', async () => {
    const { data } = await asAlice.app.bsky.actor.getProfile({ actor: bob.handle })
    expect(data).toMatchObject({
      did: bob.did,
      handle: bob.handle,
      displayName: 'Bob',
      followersCount: 1,
      followsCount: 1,
      postsCount: 2,
      viewer: { following: expect.stringContaining(alice.did), followedBy: expect.stringContaining(bob.did) },
    })
    const anonView = await anon.app.bsky.actor.getProfile({ actor: alice.did })
    expect(anonView.data).toMatchObject({ displayName: 'Alice', description: 'hi', followsCount: 2 })
    expect(anonView.data.viewer).toBeUndefined()
    const many = await anon.app.bsky.actor.getProfiles({ actors: [carol.did, 'nobody.test', alice.handle] })
    expect(many.data.profiles.map((p) => p.did)).toEqual([carol.did, alice.did])
    expect(many.data.profiles[0].displayName).toBeUndefined()
  })

  it('answers unknown and inactive accounts like the reference', async () => {
    await expect(anon.app.bsky.actor.getProfile({ actor: 'nobody.test' })).rejects.toMatchObject({
      status: 400,
      error: 'InvalidRequest',
      message: 'Profile not found',
    })
    const gone = 'did:plc:deactivateddeactivated'
    await h.seed.actor(gone, 'gone.test', { status: 'deactivated' })
    await expect(anon.app.bsky.actor.getProfile({ actor: gone })).rejects.toMatchObject({
      status: 400,
      error: 'AccountDeactivated',
    })
    const suspended = 'did:plc:suspendedsuspendedsusp'
    await h.seed.actor(suspended, 'suspended.test', { status: 'takendown' })
    await expect(anon.app.bsky.actor.getProfile({ actor: suspended })).rejects.toMatchObject({
      error: 'AccountTakedown',
    })
  })
})

describe('app.bsky.graph.getFollows / getFollowers', () => {
  it('lists follows and followers, newest first, paged', async () => {
    const follows = await anon.app.bsky.graph.getFollows({ actor: alice.handle })
    expect(follows.data.subject.did).toBe(alice.did)
    expect(follows.data.follows.map((p) => p.did)).toEqual([carol.did, bob.did])
    const page = await anon.app.bsky.graph.getFollows({ actor: alice.did, limit: 1 })
    const next = await anon.app.bsky.graph.getFollows({
      actor: alice.did,
      limit: 1,
      cursor: page.data.cursor,
    })
    expect(next.data.follows.map((p) => p.did)).toEqual([bob.did])
    const followers = await asAlice.app.bsky.graph.getFollowers({ actor: alice.did })
    expect(followers.data.followers.map((p) => p.did)).toEqual([bob.did])
    expect(followers.data.followers[0].viewer?.following).toBeDefined()
  })

  it('answers an unknown actor like the reference', async () => {
    await expect(anon.app.bsky.graph.getFollows({ actor: 'nobody.test' })).rejects.toMatchObject({
      status: 400,
      message: 'Actor not found: nobody.test',
    })
    await expect(
      anon.app.bsky.graph.getFollowers({ actor: 'did:plc:nobodynobodynobody' }),
    ).rejects.toMatchObject({
      status: 400,
    })
  })
})

describe('dev.sundial.feed', () => {
  type Feed = { feed: { post: { uri: string }; reason?: unknown }[]; cursor?: string }
  const call = async (agent: Agent, params: Record<string, unknown>) =>
    (await agent.call('dev.sundial.feed.getTimeline', params)).data as Feed

  it('getTimeline applies filters', async () => {
    const all = await call(asAlice, {})
    expect(summary(all.feed)).toEqual(expectedTimeline())
    const noReposts = await call(asAlice, { excludeReposts: true })
    expect(summary(noReposts.feed)).toEqual(expectedTimeline().filter((i) => !i.reason))
    const noReplies = await call(asAlice, { excludeReplies: true })
    expect(summary(noReplies.feed)).toEqual(expectedTimeline().filter((i) => i.uri !== refs.carolReply.uri))
    const english = await call(asAlice, { langs: ['en'] })
    expect(summary(english.feed)).toEqual([
      { uri: refs.bobImage.uri, reason: refs.carolRepostsBob.uri },
      { uri: refs.bobImage.uri },
    ])
    const window = await call(asAlice, { since: minute(12).toISOString(), until: minute(16).toISOString() })
    expect(summary(window.feed)).toEqual([
      { uri: refs.bobQuote.uri },
      { uri: refs.carolReply.uri },
      { uri: refs.aliceOwn.uri },
    ])
    const paged = await call(asAlice, { excludeReposts: true, limit: 2 })
    const rest = await call(asAlice, { excludeReposts: true, limit: 50, cursor: paged.cursor })
    expect(summary([...paged.feed, ...rest.feed])).toEqual(summary(noReposts.feed))
    await expect(call(asAlice, { cursor: 'bad' })).rejects.toMatchObject({ status: 400 })
    await expect(call(anon, {})).rejects.toMatchObject({ status: 401 })
  })

  it('makes any authenticated caller a local user', async () => {
    const isLocal = async (did: string) =>
      (await h.database.db.selectFrom('localUser').select('did').where('did', '=', did).execute()).length ===
      1
    expect(await isLocal(bob.did)).toBe(false)
    await anon.app.bsky.actor.getProfile({ actor: alice.did })
    expect(await isLocal(bob.did)).toBe(false)
    await h.client(bob).app.bsky.actor.getProfile({ actor: alice.did })
    expect(await isLocal(bob.did)).toBe(true)
    const { data } = await h.client(bob).app.bsky.feed.getTimeline({})
    expect(data.feed.map((i) => i.post.uri)).toContain(refs.aliceOwn.uri)
  })

  it('getTimelineStatus reports the local user state', async () => {
    const { data } = await asAlice.call('dev.sundial.feed.getTimelineStatus', {})
    // No backfill worker runs here: alice's onboarding and her two follows stay pending.
    expect(data).toMatchObject({ did: alice.did, isLocalUser: true, complete: false, pendingBackfills: 3 })
    const jobs = await h.database.db
      .selectFrom('backfillJob')
      .select(['did', 'reason'])
      .where('did', '=', alice.did)
      .execute()
    expect(jobs).toEqual([{ did: alice.did, reason: 'onboard' }])
    expect(data.itemCount).toBeGreaterThanOrEqual(expectedTimeline().length)
    expect(Date.parse(data.timelineBuiltAt)).not.toBeNaN()
    const carolStatus = await h.client(carol).call('dev.sundial.feed.getTimelineStatus', {})
    expect(carolStatus.data).toMatchObject({ isLocalUser: true, did: carol.did })
  })
})

describe('bad input', () => {
  it('is a 4xx, never a 500', async () => {
    const token = async (lxm: string) =>
      (await alice.pds.com.atproto.server.getServiceAuth({ aud: h.cfg.serviceDid, lxm })).data.token
    const cases = [
      'app.bsky.feed.getTimeline?limit=0',
      'app.bsky.feed.getTimeline?limit=abc',
      'app.bsky.feed.getTimeline?cursor=-99999999999999999__bafy',
      'app.bsky.feed.getTimeline?cursor=1700000000000__%27%3B%20drop%20table%20post',
      'app.bsky.feed.getAuthorFeed?actor=',
      'app.bsky.feed.getAuthorFeed?actor=did%3Aweb%3A%25%25',
      `app.bsky.feed.getAuthorFeed?actor=${bob.did}&filter=everything`,
      `app.bsky.feed.getAuthorFeed?actor=${bob.did}&cursor=x__y__z`,
      'app.bsky.feed.getPostThread',
      'app.bsky.feed.getPostThread?uri=at%3A%2F%2Fnobody.test%2Fapp.bsky.feed.post%2F3k',
      'app.bsky.feed.getPostThread?uri=at%3A%2F%2Fdid%3Aplc%3Ax&depth=-1',
      'app.bsky.feed.getPostThread?uri=at%3A%2F%2Fdid%3Aplc%3Ax&depth=100000',
      'app.bsky.feed.getPosts',
      'app.bsky.feed.getPosts?uris=notauri',
      `app.bsky.feed.getPosts?${Array.from({ length: 30 }, () => `uris=${encodeURIComponent(refs.bobImage.uri)}`).join('&')}`,
      'app.bsky.feed.getLikes?uri=at%3A%2F%2Fdid%3Aplc%3Ax%2Fapp.bsky.feed.post%2F1&limit=101',
      'app.bsky.feed.getRepostedBy?uri=at%3A%2F%2Fdid%3Aplc%3Ax%2Fapp.bsky.feed.post%2F1&cursor=1__',
      'app.bsky.actor.getProfile?actor=..',
      'app.bsky.actor.getProfiles',
      'app.bsky.graph.getFollows?actor=did%3Aplc%3Ax&cursor=abc',
      'dev.sundial.feed.getTimeline?since=notadate',
      'dev.sundial.feed.getTimeline?langs=%%%',
      'dev.sundial.feed.getTimeline?until=0000-01-01T00%3A00%3A00Z',
    ]
    for (const path of cases) {
      const lxm = path.split('?')[0]
      const res = await fetch(`${h.appview.url}/xrpc/${path}`, {
        headers: { authorization: `Bearer ${await token(lxm)}` },
      })
      expect(res.status, path).toBeGreaterThanOrEqual(200)
      expect(res.status, path).toBeLessThan(500)
    }
  })
})

describe('service endpoints', () => {
  it('serves did.json, health and metrics', async () => {
    const doc = await (await fetch(`${h.appview.url}/.well-known/did.json`)).json()
    expect(doc).toMatchObject({
      id: h.cfg.serviceDid,
      service: [
        { id: '#bsky_appview', type: 'BskyAppView', serviceEndpoint: h.cfg.publicUrl },
        { id: '#sundial_scheduler', serviceEndpoint: h.cfg.publicUrl },
      ],
    })
    const health = await fetch(`${h.appview.url}/xrpc/_health`)
    expect(health.status).toBe(200)
    const metrics = await (await fetch(`${h.appview.url}/metrics`)).text()
    expect(metrics).toContain('sundial_appview_requests_total{method="app.bsky.feed.getTimeline"')
    const unknown = await fetch(`${h.appview.url}/xrpc/app.bsky.feed.getFeed?feed=at://x/y/z`)
    expect(unknown.status).toBeGreaterThanOrEqual(400)
    expect(unknown.status).toBeLessThan(600)
  })

  it('redirects blob URLs for accounts whose PDS is not indexed', async () => {
    const res = await fetch(`${h.appview.url}/blob/${alice.did}/${avatarCid}`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toContain('/xrpc/com.atproto.sync.getBlob?did=')
    const bad = await fetch(`${h.appview.url}/blob/notadid/${avatarCid}`, { redirect: 'manual' })
    expect(bad.status).toBe(400)
  })
})
