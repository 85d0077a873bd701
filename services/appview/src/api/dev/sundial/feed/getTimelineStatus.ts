import type { Server } from '@atproto/xrpc-server'
import { ids } from '@sundial/lexicon'
import type { OutputSchema, QueryParams } from '@sundial/lexicon/types/dev/sundial/feed/getTimelineStatus'
import type { ViewerAuth } from '../../../../auth.ts'
import type { AppContext } from '../../../../context.ts'
import { getTimelineStatus } from '../../../../db/local-users.ts'
import { json, query } from '../../../xrpc.ts'

export default function (server: Server, ctx: AppContext) {
  query<QueryParams, OutputSchema, ViewerAuth>(server, ids.DevSundialFeedGetTimelineStatus, {
    auth: ctx.authVerifier.standard,
    handler: async ({ auth }) => {
      const viewer = auth.credentials.viewer
      const status = await getTimelineStatus(ctx.db, viewer)
      return json({
        did: viewer,
        isLocalUser: status.isLocalUser,
        timelineBuiltAt: status.timelineBuiltAt?.toISOString(),
        complete: status.completeSince !== null,
        completeSince: status.completeSince?.toISOString(),
        // Backfill of followed accounts is not tracked yet; nothing is ever pending.
        pendingBackfills: 0,
        itemCount: status.itemCount,
      })
    },
  })
}
