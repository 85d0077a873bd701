import { ids } from '@atproto/api'
import type { AppBskyFeedDefs, AppBskyFeedGetPosts } from '@atproto/api'
import type { Server } from '@atproto/xrpc-server'
import type { OptionalViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { repoRevHeaders, resolvePostUris } from '../../../params.ts'
import { json, query } from '../../../xrpc.ts'

export default function (server: Server, ctx: AppContext) {
  query<AppBskyFeedGetPosts.QueryParams, AppBskyFeedGetPosts.OutputSchema, OptionalViewerAuth>(
    server,
    ids.AppBskyFeedGetPosts,
    {
      auth: ctx.authVerifier.optional,
      handler: async ({ params, auth }) => {
        const viewer = auth.credentials.viewer
        // Requested order, each post once; posts not indexed are left out.
        const uris = [...new Set(await resolvePostUris(ctx, params.uris))]
        const state = await ctx.hydrator.hydratePosts(uris, viewer)
        const posts: AppBskyFeedDefs.PostView[] = uris.flatMap((uri) => ctx.views.post(uri, state) ?? [])
        return json({ posts }, await repoRevHeaders(ctx, viewer))
      },
    },
  )
}
