import { lexicons } from '@atproto/api'
import { describe, expect, it } from 'vitest'
import type { ActorRow } from '../db/actors.ts'
import type { PostRow } from '../db/posts.ts'
import { emptyState } from '../hydration/hydrator.ts'
import { ImageUrlBuilder } from './image-url.ts'
import { Views } from './index.ts'

const CID = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'
const alice = 'did:plc:aliceaaaaaaaaaaaaaaaaaaa'
const bob = 'did:plc:bobbbbbbbbbbbbbbbbbbbbbb'
const views = new Views(new ImageUrlBuilder({ publicUrl: 'https://sundial.example' }))

function actor(did: string, handle: string | null): ActorRow {
  return {
    did,
    handle,
    status: 'active',
    pdsEndpoint: 'https://pds.example',
    profileUri: null,
    profileCid: null,
    profileRecord: null,
    displayName: null,
    description: null,
    avatarCid: null,
    bannerCid: null,
    profileIndexedAt: null,
    profileCreatedAt: null,
    followersCount: 0,
    followsCount: 0,
    postsCount: 0,
    following: null,
    followedBy: null,
  }
}

function post(uri: string, record: Record<string, unknown>, extra: Partial<PostRow> = {}): PostRow {
  return {
    uri,
    cid: CID,
    authorDid: uri.slice(5).split('/')[0],
    record: { $type: 'app.bsky.feed.post', createdAt: '2026-01-01T00:00:00.000Z', text: 't', ...record },
    replyRoot: null,
    replyParent: null,
    embedUri: null,
    sortAt: new Date('2026-01-01T00:00:00.000Z'),
    replyCount: 0,
    repostCount: 0,
    likeCount: 0,
    quoteCount: 0,
    viewerLike: null,
    viewerRepost: null,
    ...extra,
  }
}

describe('views', () => {
  it('shapes feed items that validate against app.bsky.feed.getTimeline', () => {
    const state = emptyState(alice)
    state.actors.set(alice, actor(alice, 'alice.test'))
    state.actors.set(bob, actor(bob, null))
    const root = `at://${bob}/app.bsky.feed.post/3kroot`
    const missing = `at://${bob}/app.bsky.feed.post/3kmissing`
    const reply = `at://${alice}/app.bsky.feed.post/3kreply`
    state.posts.set(
      root,
      post(root, { labels: { $type: 'com.atproto.label.defs#selfLabels', values: [{ val: 'nudity' }] } }),
    )
    state.posts.set(
      reply,
      post(
        reply,
        { reply: { root: { uri: root, cid: CID }, parent: { uri: missing, cid: CID } } },
        { replyRoot: root, replyParent: missing, viewerLike: `at://${alice}/app.bsky.feed.like/3kl` },
      ),
    )
    const repostUri = `at://${bob}/app.bsky.feed.repost/3krp`
    state.reposts.set(repostUri, {
      uri: repostUri,
      cid: CID,
      authorDid: bob,
      subjectUri: reply,
      sortAt: new Date(0),
    })
    const feed = [
      {
        uri: repostUri,
        cid: CID,
        type: 'repost' as const,
        postUri: reply,
        originatorDid: bob,
        sortAt: new Date(0),
      },
      {
        uri: reply,
        cid: CID,
        type: 'post' as const,
        postUri: reply,
        originatorDid: alice,
        sortAt: new Date(0),
      },
      {
        uri: missing,
        cid: CID,
        type: 'post' as const,
        postUri: missing,
        originatorDid: bob,
        sortAt: new Date(0),
      },
    ].flatMap((item) => views.feedViewPost(item, state) ?? [])

    expect(feed).toHaveLength(2)
    expect(feed[0].reason).toMatchObject({
      $type: 'app.bsky.feed.defs#reasonRepost',
      by: { handle: 'handle.invalid' },
    })
    expect(feed[1].reply?.parent).toEqual({
      $type: 'app.bsky.feed.defs#notFoundPost',
      uri: missing,
      notFound: true,
    })
    expect(feed[1].reply?.root).toMatchObject({
      $type: 'app.bsky.feed.defs#postView',
      labels: [{ val: 'nudity' }],
    })
    expect(feed[1].post.viewer?.like).toBeDefined()
    lexicons.assertValidXrpcOutput('app.bsky.feed.getTimeline', { feed })
  })

  it('drops an item whose author is not hydratable (e.g. deactivated)', () => {
    const state = emptyState(null)
    const uri = `at://${bob}/app.bsky.feed.post/3k`
    state.posts.set(uri, post(uri, {}))
    expect(
      views.feedViewPost(
        { uri, cid: CID, type: 'post', postUri: uri, originatorDid: bob, sortAt: new Date(0) },
        state,
      ),
    ).toBeUndefined()
  })
})
