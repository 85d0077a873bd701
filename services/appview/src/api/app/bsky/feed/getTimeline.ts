import { ids } from '@atproto/api'
import type { AppBskyFeedGetTimeline } from '@atproto/api'
import type { Server } from '@atproto/xrpc-server'
import type { ViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import type { FeedItemRow, TimelineFilters } from '../../../../db/feeds.ts'
import { pageCursor } from '../../../../db/pagination.ts'
import { cursorKey, repoRevHeaders } from '../../../params.ts'
import { json, query } from '../../../xrpc.ts'

export default function (server: Server, ctx: AppContext) {
  query<AppBskyFeedGetTimeline.QueryParams, AppBskyFeedGetTimeline.OutputSchema, ViewerAuth>(
    server,
    ids.AppBskyFeedGetTimeline,
    {
      auth: ctx.authVerifier.standard,
      handler: async ({ params, auth }) => {
        const viewer = auth.credentials.viewer
        const [body, headers] = await Promise.all([
          getTimeline(ctx, { viewer, limit: params.limit ?? 50, cursor: params.cursor }),
          repoRevHeaders(ctx, viewer),
        ])
        return json(body, headers)
      },
    },
  )
}

export interface TimelineRequest {
  viewer: string
  limit: number
  cursor?: string
  filters?: TimelineFilters
}

/**
 * A local user's home timeline page: skeleton (one range scan of their materialised timeline) and hydration
 * in one statement, then views. Shared by app.bsky.feed.getTimeline and dev.sundial.feed.getTimeline.
 */
export async function getTimeline(
  ctx: AppContext,
  req: TimelineRequest,
): Promise<AppBskyFeedGetTimeline.OutputSchema> {
  const { items: rows, state } = await ctx.hydrator.timelinePage(
    req.viewer,
    cursorKey(req.cursor),
    req.limit,
    req.filters,
  )
  return {
    feed: rows.flatMap((row) => ctx.views.feedViewPost(row, state) ?? []),
    cursor: pageCursor(rows, req.limit, feedItemKey),
  }
}

export function feedItemKey(row: FeedItemRow) {
  return { time: row.sortAt, cid: row.cid }
}
