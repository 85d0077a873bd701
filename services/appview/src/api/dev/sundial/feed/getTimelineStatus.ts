import type { Server } from '@atproto/xrpc-server'
import { backfillStatusFor } from '@sundial/common'
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
      const [timeline, backfill] = await Promise.all([
        getTimelineStatus(ctx.db, viewer),
        backfillStatusFor(ctx.db, viewer),
      ])
      return json({
        did: viewer,
        isLocalUser: timeline.isLocalUser,
        timelineBuiltAt: timeline.timelineBuiltAt?.toISOString(),
        complete: backfill.complete,
        completeSince: backfill.completeSince?.toISOString(),
        pendingBackfills: backfill.pending,
        itemCount: timeline.itemCount,
      })
    },
  })
}
