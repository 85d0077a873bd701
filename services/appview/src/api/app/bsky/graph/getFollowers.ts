import { ids } from '@atproto/api'
import type { AppBskyGraphGetFollowers } from '@atproto/api'
import type { Server } from '@atproto/xrpc-server'
import type { OptionalViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { json, query } from '../../../xrpc.ts'
import { followPage } from './follow-page.ts'

// Accounts following the actor, newest follow first.
export default function (server: Server, ctx: AppContext) {
  query<AppBskyGraphGetFollowers.QueryParams, AppBskyGraphGetFollowers.OutputSchema, OptionalViewerAuth>(
    server,
    ids.AppBskyGraphGetFollowers,
    {
      auth: ctx.authVerifier.optional,
      handler: async ({ params, auth }) => {
        const page = await followPage(ctx, 'followers', params, auth.credentials.viewer)
        return json({ subject: page.subject, followers: page.profiles, cursor: page.cursor })
      },
    },
  )
}
