import { ids } from '@atproto/api'
import type { AppBskyFeedGetAuthorFeed } from '@atproto/api'
import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@atproto/xrpc-server'
import type { OptionalViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { getActorsForView } from '../../../../db/actors.ts'
import { getAuthorFeedPage } from '../../../../db/feeds.ts'
import type { AuthorFeedFilter, FeedItemRow } from '../../../../db/feeds.ts'
import { pageCursor } from '../../../../db/pagination.ts'
import type { HydrationState } from '../../../../hydration/hydrator.ts'
import { cursorKey, repoRevHeaders, resolveActor } from '../../../params.ts'
import { json, query } from '../../../xrpc.ts'
import { feedItemKey } from './getTimeline.ts'

// includePins is accepted and ignored: pinned posts are not inserted at the top of the first page.
export default function (server: Server, ctx: AppContext) {
  query<AppBskyFeedGetAuthorFeed.QueryParams, AppBskyFeedGetAuthorFeed.OutputSchema, OptionalViewerAuth>(
    server,
    ids.AppBskyFeedGetAuthorFeed,
    {
      auth: ctx.authVerifier.optional,
      handler: async ({ params, auth }) => {
        const viewer = auth.credentials.viewer
        const did = await resolveActor(ctx, params.actor)
        const [actor] = did ? await getActorsForView(ctx.db, [did], null) : []
        if (!did || !actor || (actor.status !== null && actor.status !== 'active')) {
          throw new InvalidRequestError('Profile not found')
        }
        const limit = params.limit ?? 50
        const filter = (params.filter ?? 'posts_with_replies') as AuthorFeedFilter
        const rows = await getAuthorFeedPage(ctx.db, did, filter, cursorKey(params.cursor), limit)
        const state = await ctx.hydrator.hydrateFeedItems(rows, viewer)
        const shown = filter === 'posts_and_author_threads' ? selfThreadsOnly(rows, state) : rows
        return json(
          {
            feed: shown.flatMap((row) => ctx.views.feedViewPost(row, state) ?? []),
            cursor: pageCursor(rows, limit, feedItemKey),
          },
          await repoRevHeaders(ctx, viewer),
        )
      },
    },
  )
}

/**
 * posts_and_author_threads keeps a reply only when the page holds its whole chain of parents up to a root
 * post, i.e. a complete self-thread (as the reference does). Reposts always stay.
 */
function selfThreadsOnly(rows: FeedItemRow[], state: HydrationState): FeedItemRow[] {
  const ownPosts = new Set(rows.filter((r) => r.type === 'post').map((r) => r.postUri))
  const verdict = new Map<string, boolean>()
  const inSelfThread = (uri: string, seen: Set<string>): boolean => {
    const known = verdict.get(uri)
    if (known !== undefined) return known
    let ok = false
    if (ownPosts.has(uri) && !seen.has(uri)) {
      seen.add(uri)
      const post = state.posts.get(uri)
      ok = !!post && (post.replyParent === null || inSelfThread(post.replyParent, seen))
    }
    verdict.set(uri, ok)
    return ok
  }
  return rows.filter((r) => r.type === 'repost' || inSelfThread(r.postUri, new Set()))
}
