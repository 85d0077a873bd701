import type { Db } from '@sundial/common'
import { getActorsForView } from '../data/actors.ts'
import type { ActorRow } from '../data/actors.ts'
import type { FeedItemRow } from '../data/feeds.ts'
import { getPostsForView } from '../data/posts.ts'
import type { PostRow } from '../data/posts.ts'
import { didFromUri, replyParentUri } from './records.ts'

/** A repost as a feed reason needs it; feed item rows carry all of it. */
export interface RepostInfo {
  uri: string
  cid: string
  authorDid: string
  subjectUri: string
  sortAt: Date
}

/** Everything a view needs, fetched up front; views read it and never touch the database. */
export interface HydrationState {
  viewer: string | null
  posts: Map<string, PostRow>
  reposts: Map<string, RepostInfo>
  /** Accounts whose content may be shown: known to this index and not deactivated, suspended or deleted. */
  actors: Map<string, ActorRow>
  /** Accounts that are known but not active, so their profiles get the reference's specific errors. */
  inactiveActors: Map<string, ActorRow>
}

export function emptyState(viewer: string | null): HydrationState {
  return { viewer, posts: new Map(), reposts: new Map(), actors: new Map(), inactiveActors: new Map() }
}

/**
 * Fetches what views show in two round trips: posts (with reply context, embeds, counts and viewer state),
 * then every account those posts mention (with counts and viewer relations).
 */
export class Hydrator {
  constructor(private db: Db) {}

  /** Feed items: their posts with reply context and embeds, the reposts, and every account shown. */
  async hydrateFeedItems(items: FeedItemRow[], viewer: string | null): Promise<HydrationState> {
    const state = emptyState(viewer)
    for (const item of items) {
      if (item.type !== 'repost') continue
      state.reposts.set(item.uri, {
        uri: item.uri,
        cid: item.cid,
        authorDid: item.originatorDid,
        subjectUri: item.postUri,
        sortAt: item.sortAt,
      })
    }
    await this.loadPosts(
      state,
      items.map((i) => i.postUri),
      true,
    )
    await this.loadAccounts(
      state,
      items.map((i) => i.originatorDid),
    )
    return state
  }

  /** Posts shown as full post views (getPosts, threads). */
  async hydratePosts(uris: string[], viewer: string | null): Promise<HydrationState> {
    const state = emptyState(viewer)
    await this.loadPosts(state, uris, false)
    await this.loadAccounts(state, [])
    return state
  }

  /** Profiles for `dids`, with their counts and the viewer's relations to them. */
  async hydrateProfiles(dids: string[], viewer: string | null): Promise<HydrationState> {
    const state = emptyState(viewer)
    await this.loadAccounts(state, dids)
    return state
  }

  private async loadPosts(state: HydrationState, uris: string[], withReplyContext: boolean): Promise<void> {
    const rows = await getPostsForView(this.db, [...new Set(uris)], {
      viewer: state.viewer,
      withReplyContext,
    })
    for (const row of rows) state.posts.set(row.uri, row)
  }

  /** Authors of every loaded post, the grandparent authors replies show, and `extraDids`. */
  private async loadAccounts(state: HydrationState, extraDids: string[]): Promise<void> {
    const dids = new Set(extraDids)
    for (const post of state.posts.values()) {
      dids.add(post.authorDid)
      const grandparent = replyParentUri(post.record)
      if (grandparent) dids.add(didFromUri(grandparent))
    }
    const found = new Set<string>()
    for (const actor of await getActorsForView(this.db, [...dids], state.viewer)) {
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
    followersCount: 0,
    followsCount: 0,
    postsCount: 0,
    following: null,
    followedBy: null,
  }
}
