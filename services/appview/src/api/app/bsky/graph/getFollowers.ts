import { ids } from '@atproto/api'
import type { AppBskyGraphGetFollowers } from '@atproto/api'
import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@atproto/xrpc-server'
import type { OptionalViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { getFollowersOf } from '../../../../db/graph.ts'
import { pageCursor } from '../../../../db/pagination.ts'
import { cursorKey, resolveActor } from '../../../params.ts'
import { json, query } from '../../../xrpc.ts'

// Accounts following the actor, newest follow first.
export default function (server: Server, ctx: AppContext) {
  query<AppBskyGraphGetFollowers.QueryParams, AppBskyGraphGetFollowers.OutputSchema, OptionalViewerAuth>(
    server,
    ids.AppBskyGraphGetFollowers,
    {
      auth: ctx.authVerifier.optional,
      handler: async ({ params, auth }) => {
        const limit = params.limit ?? 50
        const did = await resolveActor(ctx, params.actor)
        if (!did) throw new InvalidRequestError(`Actor not found: ${params.actor}`)
        const rows = await getFollowersOf(ctx.db, did, cursorKey(params.cursor), limit)
        const state = await ctx.hydrator.hydrateProfiles(
          [did, ...rows.map((r) => r.did)],
          auth.credentials.viewer,
        )
        const subject = ctx.views.profile(did, state)
        if (!subject) throw new InvalidRequestError(`Actor not found: ${params.actor}`)
        return json({
          subject,
          followers: rows.flatMap((r) => ctx.views.profile(r.did, state) ?? []),
          cursor: pageCursor(rows, limit, (r) => r),
        })
      },
    },
  )
}
