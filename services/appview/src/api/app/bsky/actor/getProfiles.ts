import { ids } from '@atproto/api'
import type { AppBskyActorGetProfiles } from '@atproto/api'
import type { Server } from '@atproto/xrpc-server'
import type { OptionalViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { resolveActorDids } from '../../../../db/actors.ts'
import { repoRevHeaders } from '../../../params.ts'
import { json, query } from '../../../xrpc.ts'

export default function (server: Server, ctx: AppContext) {
  query<AppBskyActorGetProfiles.QueryParams, AppBskyActorGetProfiles.OutputSchema, OptionalViewerAuth>(
    server,
    ids.AppBskyActorGetProfiles,
    {
      auth: ctx.authVerifier.optional,
      handler: async ({ params, auth }) => {
        const viewer = auth.credentials.viewer
        const resolved = await resolveActorDids(ctx.db, params.actors)
        // Requested order, each account once; unknown or inactive accounts are left out.
        const dids = [...new Set(params.actors.flatMap((actor) => resolved.get(actor) ?? []))]
        const state = await ctx.hydrator.hydrateProfiles(dids, viewer, { withCounts: true })
        const profiles = dids.flatMap((did) => ctx.views.profileDetailed(did, state) ?? [])
        return json({ profiles }, await repoRevHeaders(ctx, viewer))
      },
    },
  )
}
