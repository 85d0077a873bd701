import { ids } from '@atproto/api'
import type { AppBskyFeedGetPostThread } from '@atproto/api'
import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@atproto/xrpc-server'
import type { OptionalViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { getAncestorUris, getDescendantUris } from '../../../../db/posts.ts'
import { repoRevHeaders, resolvePostUris } from '../../../params.ts'
import { json, query } from '../../../xrpc.ts'

export default function (server: Server, ctx: AppContext) {
  query<AppBskyFeedGetPostThread.QueryParams, AppBskyFeedGetPostThread.OutputSchema, OptionalViewerAuth>(
    server,
    ids.AppBskyFeedGetPostThread,
    {
      auth: ctx.authVerifier.optional,
      handler: async ({ params, auth }) => {
        const viewer = auth.credentials.viewer
        const [anchor] = await resolvePostUris(ctx, [params.uri])
        const height = params.parentHeight ?? 80
        const depth = params.depth ?? 6
        const [ancestors, descendants] = await Promise.all([
          getAncestorUris(ctx.db, anchor, height),
          getDescendantUris(ctx.db, anchor, depth),
        ])
        const state = await ctx.hydrator.hydratePosts([anchor, ...ancestors, ...descendants], viewer)
        const thread = ctx.views.thread(anchor, descendants, state, { height, depth })
        if (thread.$type === 'app.bsky.feed.defs#notFoundPost') {
          throw new InvalidRequestError(`Post not found: ${params.uri}`, 'NotFound')
        }
        return json({ thread }, await repoRevHeaders(ctx, viewer))
      },
    },
  )
}
