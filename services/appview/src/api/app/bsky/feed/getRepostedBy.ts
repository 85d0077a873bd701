import { ids } from '@atproto/api'
import type { AppBskyFeedGetRepostedBy } from '@atproto/api'
import type { Server } from '@atproto/xrpc-server'
import type { OptionalViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { pageCursor } from '../../../../db/pagination.ts'
import { getRepostsBySubject } from '../../../../db/posts.ts'
import { cursorKey, resolvePostUris } from '../../../params.ts'
import { json, query } from '../../../xrpc.ts'

export default function (server: Server, ctx: AppContext) {
  query<AppBskyFeedGetRepostedBy.QueryParams, AppBskyFeedGetRepostedBy.OutputSchema, OptionalViewerAuth>(
    server,
    ids.AppBskyFeedGetRepostedBy,
    {
      auth: ctx.authVerifier.optional,
      handler: async ({ params, auth }) => {
        const limit = params.limit ?? 50
        const [subject] = await resolvePostUris(ctx, [params.uri])
        const rows = await getRepostsBySubject(ctx.db, subject, cursorKey(params.cursor), limit)
        const state = await ctx.hydrator.hydrateProfiles(
          rows.map((r) => r.authorDid),
          auth.credentials.viewer,
        )
        return json({
          uri: params.uri,
          cid: params.cid,
          repostedBy: rows.flatMap((r) => ctx.views.profile(r.authorDid, state) ?? []),
          cursor: pageCursor(rows, limit, (r) => r),
        })
      },
    },
  )
}
