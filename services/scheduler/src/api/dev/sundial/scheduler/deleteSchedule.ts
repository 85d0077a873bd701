import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { deleteUnreferencedBlobs } from '../../../../db/blobs.ts'
import { deleteSchedule, getOwnedSchedule } from '../../../../db/schedules.ts'
import { dropPendingOccurrence } from '../../../../schedules/planner.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.deleteSchedule<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.deleteSchedule'),
    handler: async ({ auth, input }) => {
      await ctx.db.transaction().execute(async (tx) => {
        const schedule = await getOwnedSchedule(tx, auth.credentials.did, input.body.id, true)
        if (!schedule) throw new InvalidRequestError('schedule not found', 'ScheduleNotFound')
        await dropPendingOccurrence(tx, schedule.id)
        // Published occurrences keep their history; their schedule link is cleared by the foreign key.
        await deleteSchedule(tx, schedule.id)
        await deleteUnreferencedBlobs(tx, schedule.ownerDid, { expiredOnly: false, cids: schedule.blobCids })
      })
    },
  })
}
