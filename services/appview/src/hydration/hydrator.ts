import type { Db } from '@sundial/common'
import { getActorAggs, getActors, getProfileViewerState } from '../data/actors.ts'
import type { ActorAggRow, ActorRow, ProfileViewerRow } from '../data/actors.ts'
import type { FeedItemRow } from '../data/feeds.ts'
import { getPostAggs, getPostViewerState, getPosts, getReposts } from '../data/posts.ts'
import type { PostAggRow, PostRow, PostViewerRow, RepostRow } from '../data/posts.ts'
import { collectionFromUri, didFromUri, embeddedRecordUri, replyParentUri } from './records.ts'

/** Everything a view needs, fetched up front; views read it and never touch the database. */
export interface HydrationState {
  viewer: string | null
  posts: Map<string, PostRow>
  reposts: Map<string, RepostRow>
  /** Accounts whose content may be shown: known to this index and not deactivated, suspended or deleted. */
  actors: Map<string, ActorRow>
  /** Accounts that are known but not active, so their profiles get the reference's specific errors. */
  inactiveActors: Map<string, ActorRow>
  postAggs: Map<string, PostAggRow>
  actorAggs: Map<string, ActorAggRow>
  postViewers: Map<string, PostViewerRow>
  profileViewers: Map<string, ProfileViewerRow>
}

export function emptyState(viewer: string | null): HydrationState {
  return {
    viewer,
    posts: new Map(),
    reposts: new Map(),
    actors: new Map(),
    inactiveActors: new Map(),
    postAggs: new Map(),
    actorAggs: new Map(),
    postViewers: new Map(),
    profileViewers: new Map(),
  }
}

/** Embedded records are shown two levels deep, as the reference does (a quote of a quote, then a stub). */
const MAX_EMBED_DEPTH = 2
const POST_COLLECTION = 'app.bsky.feed.post'

export interface HydratePostsOptions {
  /** Also hydrate reply roots and parents (and the grandparent's author) of these top-level posts. */
  withReplyContext?: boolean
  /** Also count followers/follows/posts for the accounts hydrated. */
  withActorAggs?: boolean
}

export class Hydrator {
  constructor(private db: Db) {}

  /** Feed items: their posts with reply context and embeds, the reposts, and every account shown. */
  async hydrateFeedItems(items: FeedItemRow[], viewer: string | null): Promise<HydrationState> {
    const state = emptyState(viewer)
    const repostUris = items.filter((i) => i.type === 'repost').map((i) => i.uri)
    const [reposts] = await Promise.all([
      getReposts(this.db, repostUris),
      this.loadPosts(
        state,
        items.map((i) => i.postUri),
        { withReplyContext: true },
      ),
    ])
    for (const repost of reposts) state.reposts.set(repost.uri, repost)
    await this.loadAccountsAndCounts(
      state,
      reposts.map((r) => r.authorDid),
    )
    return state
  }

  /** Posts shown as full post views (getPosts, threads). */
  async hydratePosts(
    uris: string[],
    viewer: string | null,
    opts: HydratePostsOptions = {},
  ): Promise<HydrationState> {
    const state = emptyState(viewer)
    await this.loadPosts(state, uris, opts)
    await this.loadAccountsAndCounts(state, [])
    return state
  }

  /** Profiles for `dids`, with follow/post counts when `withActorAggs`. */
  async hydrateProfiles(
    dids: string[],
    viewer: string | null,
    opts: HydratePostsOptions = {},
  ): Promise<HydrationState> {
    const state = emptyState(viewer)
    await this.loadAccountsAndCounts(state, dids, opts.withActorAggs)
    return state
  }

  /**
   * Loads posts breadth-first: the requested ones, their reply roots and parents (when asked), and embedded
   * posts down to MAX_EMBED_DEPTH. Each round is one query; there are at most four rounds.
   */
  private async loadPosts(state: HydrationState, uris: string[], opts: HydratePostsOptions): Promise<void> {
    // Shallowest depth each post is rendered at, and the depth its embed was already followed from.
    const depth = new Map<string, number>()
    const expandedAt = new Map<string, number>()
    let pending = new Set<string>()
    let revisit = false
    const want = (uri: string, d: number) => {
      if (collectionFromUri(uri) !== POST_COLLECTION) return
      const known = depth.get(uri)
      if (known !== undefined && known <= d) return
      depth.set(uri, d)
      if (!state.posts.has(uri)) pending.add(uri)
      else revisit = true
    }
    const topLevel = new Set(uris)
    for (const uri of uris) want(uri, 0)
    while (pending.size > 0 || revisit) {
      revisit = false
      if (pending.size > 0) {
        const rows = await getPosts(this.db, [...pending])
        pending = new Set()
        for (const row of rows) state.posts.set(row.uri, row)
      }
      for (const [uri, d] of depth) {
        const post = state.posts.get(uri)
        if (!post) continue
        const previous = expandedAt.get(uri)
        if (previous !== undefined && previous <= d) continue
        expandedAt.set(uri, d)
        if (opts.withReplyContext && previous === undefined && topLevel.has(uri)) {
          if (post.replyRoot) want(post.replyRoot, 0)
          if (post.replyParent) want(post.replyParent, 0)
        }
        const embedded = d < MAX_EMBED_DEPTH ? embeddedRecordUri(post.record) : undefined
        if (embedded) want(embedded, d + 1)
      }
    }
  }

  /** Authors of every loaded post (and `extraDids`), post counts and the viewer's relations to all of it. */
  private async loadAccountsAndCounts(state: HydrationState, extraDids: string[], withActorAggs = false) {
    const dids = new Set(extraDids)
    for (const post of state.posts.values()) {
      dids.add(post.authorDid)
      // A reply's parent shows who it answered: the grandparent's author.
      const grandparent = replyParentUri(post.record)
      if (grandparent) dids.add(didFromUri(grandparent))
    }
    const didList = [...dids]
    const postUris = [...state.posts.keys()]
    const viewer = state.viewer
    const [actors, postAggs, postViewers, profileViewers, actorAggs] = await Promise.all([
      getActors(this.db, didList),
      getPostAggs(this.db, postUris),
      viewer ? getPostViewerState(this.db, viewer, postUris) : [],
      viewer ? getProfileViewerState(this.db, viewer, didList) : [],
      withActorAggs ? getActorAggs(this.db, didList) : [],
    ])
    const found = new Set<string>()
    for (const actor of actors) {
      found.add(actor.did)
      if (actor.status === null || actor.status === 'active') state.actors.set(actor.did, actor)
      else state.inactiveActors.set(actor.did, actor)
    }
    // Authors we hold posts from but whose account event we never saw are still shown (without a handle).
    for (const post of state.posts.values()) {
      if (!found.has(post.authorDid)) {
        found.add(post.authorDid)
        state.actors.set(post.authorDid, placeholderActor(post.authorDid))
      }
    }
    for (const agg of postAggs) state.postAggs.set(agg.uri, agg)
    for (const pv of postViewers) state.postViewers.set(pv.subjectUri, pv)
    for (const pv of profileViewers) state.profileViewers.set(pv.did, pv)
    for (const agg of actorAggs) state.actorAggs.set(agg.did, agg)
  }
}

function placeholderActor(did: string): ActorRow {
  return {
    did,
    handle: null,
    status: null,
    pdsEndpoint: null,
    profileUri: null,
    profileCid: null,
    profileRecord: null,
    displayName: null,
    description: null,
    avatarCid: null,
    bannerCid: null,
    profileIndexedAt: null,
    profileCreatedAt: null,
  }
}
