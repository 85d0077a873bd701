import type { Db } from '@sundial/common'
import { getActorsForView } from '../db/actors.ts'
import type { ActorRow } from '../db/actors.ts'
import { getHydratedTimelinePage } from '../db/feeds.ts'
import type { FeedItemRow, TimelineFilters } from '../db/feeds.ts'
import type { TimeCidKey } from '../db/pagination.ts'
import { getPostsWithAccounts } from '../db/posts.ts'
import type { PostRow } from '../db/posts.ts'

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
 * Fetches what views show in one query: posts (with reply context, embeds, counts and viewer state) and every
 * account they mention (with counts and viewer relations).
 */
export class Hydrator {
  constructor(private db: Db) {}

  /** Feed items: their posts with reply context and embeds, the reposts, and every account shown. */
  async hydrateFeedItems(items: FeedItemRow[], viewer: string | null): Promise<HydrationState> {
    const state = feedState(items, viewer)
    await this.load(
      state,
      items.map((i) => i.postUri),
      items.map((i) => i.originatorDid),
      true,
    )
    return state
  }

  /**
   * A local user's timeline page and its hydration, fetched together (getHydratedTimelinePage): the same items
   * and state as getTimelinePage followed by hydrateFeedItems, in one round trip.
   */
  async timelinePage(
    viewer: string,
    key: TimeCidKey | undefined,
    limit: number,
    filters?: TimelineFilters,
  ): Promise<{ items: FeedItemRow[]; state: HydrationState }> {
    const { items, posts, actors } = await getHydratedTimelinePage(this.db, viewer, key, limit, filters)
    const state = feedState(items, viewer)
    for (const post of posts) state.posts.set(post.uri, post)
    this.addActors(state, actors)
    return { items, state }
  }

  /** Posts shown as full post views (getPosts, threads). */
  async hydratePosts(uris: string[], viewer: string | null): Promise<HydrationState> {
    const state = emptyState(viewer)
    await this.load(state, uris, [], false)
    return state
  }

  /** Profiles for `dids` with the viewer's relations to them, and their counts when `withCounts`. */
  async hydrateProfiles(
    dids: string[],
    viewer: string | null,
    opts: { withCounts?: boolean } = {},
  ): Promise<HydrationState> {
    const state = emptyState(viewer)
    this.addActors(state, await getActorsForView(this.db, [...new Set(dids)], viewer, opts))
    return state
  }

  /** Posts (with their context) and every account they show, in one query. */
  private async load(state: HydrationState, uris: string[], extraDids: string[], withReplyContext: boolean) {
    if (uris.length === 0 && extraDids.length === 0) return
    const { posts, actors } = await getPostsWithAccounts(
      this.db,
      [...new Set(uris)],
      [...new Set(extraDids)],
      {
        viewer: state.viewer,
        withReplyContext,
      },
    )
    for (const post of posts) state.posts.set(post.uri, post)
    this.addActors(state, actors)
  }

  private addActors(state: HydrationState, actors: ActorRow[]): void {
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
  }
}

/** State for feed items before their posts are loaded: the reposts, which the item rows fully describe. */
function feedState(items: FeedItemRow[], viewer: string | null): HydrationState {
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
  return state
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
