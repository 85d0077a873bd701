import type { Server } from '@atproto/xrpc-server'
import { ids } from '@sundial/lexicon'
import type { OutputSchema, QueryParams } from '@sundial/lexicon/types/dev/sundial/feed/getTimeline'
import type { ViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { getTimeline } from '../../../app/bsky/feed/getTimeline.ts'
import { repoRevHeaders, timeParam } from '../../../params.ts'
import { json, query } from '../../../xrpc.ts'

export default function (server: Server, ctx: AppContext) {
  query<QueryParams, OutputSchema, ViewerAuth>(server, ids.DevSundialFeedGetTimeline, {
    auth: ctx.authVerifier.standard,
    handler: async ({ params, auth }) => {
      const viewer = auth.credentials.viewer
      const [body, headers] = await Promise.all([
        getTimeline(ctx, {
          viewer,
          limit: params.limit ?? 50,
          cursor: params.cursor,
          filters: {
            excludeReposts: params.excludeReposts,
            excludeReplies: params.excludeReplies,
            langs: params.langs?.map((lang) => lang.split('-')[0].toLowerCase()),
            since: timeParam(params.since),
            until: timeParam(params.until),
          },
        }),
        repoRevHeaders(ctx, viewer),
      ])
      return json(body, headers)
    },
  })
}
