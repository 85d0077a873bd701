import { ids } from '@atproto/api'
import type { AppBskyActorGetProfile } from '@atproto/api'
import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@atproto/xrpc-server'
import type { OptionalViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { repoRevHeaders, resolveActor } from '../../../params.ts'
import { json, query } from '../../../xrpc.ts'

export default function (server: Server, ctx: AppContext) {
  query<AppBskyActorGetProfile.QueryParams, AppBskyActorGetProfile.OutputSchema, OptionalViewerAuth>(
    server,
    ids.AppBskyActorGetProfile,
    {
      auth: ctx.authVerifier.optional,
      handler: async ({ params, auth }) => {
        const viewer = auth.credentials.viewer
        const did = await resolveActor(ctx, params.actor)
        if (!did) throw new InvalidRequestError('Profile not found')
        const state = await ctx.hydrator.hydrateProfiles([did], viewer, { withCounts: true })
        const inactive = state.inactiveActors.get(did)
        if (inactive?.status === 'takendown' || inactive?.status === 'suspended') {
          throw new InvalidRequestError('Account has been suspended', 'AccountTakedown')
        }
        if (inactive?.status === 'deactivated') {
          throw new InvalidRequestError('Account is deactivated', 'AccountDeactivated')
        }
        const profile = ctx.views.profileDetailed(did, state)
        if (!profile) throw new InvalidRequestError('Profile not found')
        return json(profile, await repoRevHeaders(ctx, viewer))
      },
    },
  )
}
