import { ids } from '@atproto/api'
import type { AppBskyGraphGetFollows } from '@atproto/api'
import type { Server } from '@atproto/xrpc-server'
import type { OptionalViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { json, query } from '../../../xrpc.ts'
import { followPage } from './follow-page.ts'

// Accounts the actor follows, newest follow first.
export default function (server: Server, ctx: AppContext) {
  query<AppBskyGraphGetFollows.QueryParams, AppBskyGraphGetFollows.OutputSchema, OptionalViewerAuth>(
    server,
    ids.AppBskyGraphGetFollows,
    {
      auth: ctx.authVerifier.optional,
      handler: async ({ params, auth }) => {
        const page = await followPage(ctx, 'follows', params, auth.credentials.viewer)
        return json({ subject: page.subject, follows: page.profiles, cursor: page.cursor })
      },
    },
  )
}
