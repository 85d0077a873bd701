import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { getOwnedSchedule, pendingScheduleDraft, updateSchedule } from '../../../../db/schedules.ts'
import { collectBlobCids } from '../../../../records/blob-refs.ts'
import type { ScheduleException } from '../../../../recurrence/recurrence.ts'
import { dropPendingOccurrence, planNextOccurrence } from '../../../../schedules/planner.ts'
import {
  checkContentUrl,
  checkRecurrence,
  checkTemplate,
  normaliseExceptions,
} from '../../../../schedules/schedule-input.ts'
import { scheduleView } from '../../../../views/draft-view.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

/**
 * Pausing drops the pending occurrence; resuming or any change to the rule, record or exceptions re-plans it
 * from now. An occurrence already being published is left to finish (it chains from the new settings).
 */
export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.updateSchedule<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.updateSchedule'),
    handler: async ({ auth, input }) => {
      const body = input.body
      const result = await ctx.db.transaction().execute(async (tx) => {
        const current = await getOwnedSchedule(tx, auth.credentials.did, body.id, true)
        if (!current) throw new InvalidRequestError('schedule not found', 'ScheduleNotFound')
        if (body.record !== undefined && body.contentUrl !== undefined) {
          throw new InvalidRequestError('give either record or contentUrl', 'InvalidRecord')
        }
        const record = body.record !== undefined ? checkTemplate(current.collection, body.record) : undefined
        if (body.contentUrl) checkContentUrl(ctx.cfg, body.contentUrl)
        const exceptions =
          body.exceptions !== undefined
            ? normaliseExceptions(current.collection, body.exceptions)
            : ((current.exceptions as ScheduleException[]) ?? [])
        const spec = {
          rrule: (body.rrule ?? current.rrule).trim().replace(/^RRULE:/i, ''),
          timezone: body.timezone ?? current.timezone,
          start: body.start ?? current.dtstartLocal,
          exceptions,
        }
        checkRecurrence(spec)
        const templateRecord =
          record ?? (body.contentUrl ? null : (current.record as Record<string, unknown> | null))
        const updated = await updateSchedule(tx, current.id, {
          rrule: spec.rrule,
          timezone: spec.timezone,
          dtstartLocal: spec.start,
          exceptions: JSON.stringify(exceptions),
          paused: body.paused ?? current.paused,
          keepCreatedAt: body.keepCreatedAt ?? current.keepCreatedAt,
          record: templateRecord ? JSON.stringify(templateRecord) : null,
          contentUrl: record ? null : (body.contentUrl ?? current.contentUrl),
          blobCids: collectBlobCids([templateRecord, ...exceptions.map((e) => e.record ?? null)]),
          // A completed schedule whose rule was extended comes back to life.
          status: 'active',
        })
        await dropPendingOccurrence(tx, current.id)
        const inFlight = await pendingScheduleDraft(tx, current.id)
        let pendingDraftId = inFlight?.id
        if (!updated.paused && !inFlight) {
          const now = new Date()
          const draft = await planNextOccurrence(tx, ctx.tids, updated, {
            afterOccurrence: now,
            notBefore: now,
            countFire: false,
          })
          pendingDraftId = draft?.id
        } else if (updated.paused) {
          await updateSchedule(tx, current.id, { nextOccurrenceAt: null })
        }
        const fresh = await getOwnedSchedule(tx, auth.credentials.did, current.id)
        return { schedule: fresh!, pendingDraftId }
      })
      return {
        encoding: 'application/json',
        body: { schedule: scheduleView(result.schedule, { pendingDraftId: result.pendingDraftId }) },
      }
    },
  })
}
