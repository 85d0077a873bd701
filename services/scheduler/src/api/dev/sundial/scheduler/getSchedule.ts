import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { getOwnedSchedule, pendingDraftIds } from '../../../../db/schedules.ts'
import { recurrenceOf } from '../../../../schedules/planner.ts'
import { scheduleView } from '../../../../views/draft-view.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.getSchedule<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.getSchedule'),
    handler: async ({ auth, params }) => {
      const row = await getOwnedSchedule(ctx.db, auth.credentials.did, params.id)
      if (!row) throw new InvalidRequestError('schedule not found', 'ScheduleNotFound')
      const pending = await pendingDraftIds(ctx.db, [row.id])
      const upcoming =
        row.status === 'active' && !row.paused
          ? recurrenceOf(row)
              .upcoming(new Date(), params.upcoming ?? 5)
              .map((o) => o.publishAt)
          : []
      return {
        encoding: 'application/json',
        body: { schedule: scheduleView(row, { pendingDraftId: pending.get(row.id), upcoming }) },
      }
    },
  })
}
