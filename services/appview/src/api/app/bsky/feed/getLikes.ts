import { ids } from '@atproto/api'
import type { AppBskyFeedGetLikes } from '@atproto/api'
import type { Server } from '@atproto/xrpc-server'
import type { OptionalViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { pageCursor } from '../../../../db/pagination.ts'
import { getLikesBySubject } from '../../../../db/posts.ts'
import { cursorKey, resolvePostUris } from '../../../params.ts'
import { json, query } from '../../../xrpc.ts'

export default function (server: Server, ctx: AppContext) {
  query<AppBskyFeedGetLikes.QueryParams, AppBskyFeedGetLikes.OutputSchema, OptionalViewerAuth>(
    server,
    ids.AppBskyFeedGetLikes,
    {
      auth: ctx.authVerifier.optional,
      handler: async ({ params, auth }) => {
        const limit = params.limit ?? 50
        const [subject] = await resolvePostUris(ctx, [params.uri])
        const rows = await getLikesBySubject(ctx.db, subject, cursorKey(params.cursor), limit)
        const state = await ctx.hydrator.hydrateProfiles(
          rows.map((r) => r.authorDid),
          auth.credentials.viewer,
        )
        const likes = rows.flatMap((row) => {
          const actor = ctx.views.profile(row.authorDid, state)
          if (!actor) return []
          // As the reference AppView: the like's sort time (the earlier of createdAt and when it was indexed).
          return [{ actor, createdAt: row.createdAt.toISOString(), indexedAt: row.time.toISOString() }]
        })
        return json({ uri: params.uri, cid: params.cid, likes, cursor: pageCursor(rows, limit, (r) => r) })
      },
    },
  )
}
