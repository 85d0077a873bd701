import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { countActiveDrafts, lockOwner } from '../../../../db/drafts.ts'
import { insertSchedule } from '../../../../db/schedules.ts'
import { collectBlobCids } from '../../../../records/blob-refs.ts'
import { newId, planNextOccurrence } from '../../../../schedules/planner.ts'
import {
  checkCollection,
  checkContentUrl,
  checkRecurrence,
  checkTemplate,
  normaliseExceptions,
} from '../../../../schedules/schedule-input.ts'
import { scheduleView } from '../../../../views/draft-view.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.createSchedule<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.createSchedule'),
    handler: async ({ auth, input }) => {
      const body = input.body
      const did = auth.credentials.did
      checkCollection(body.collection)
      if ((body.record === undefined) === (body.contentUrl === undefined)) {
        throw new InvalidRequestError('give exactly one of record or contentUrl', 'InvalidRecord')
      }
      const record = body.record !== undefined ? checkTemplate(body.collection, body.record) : null
      if (body.contentUrl) checkContentUrl(ctx.cfg, body.contentUrl)
      const exceptions = normaliseExceptions(body.collection, body.exceptions)
      const spec = { rrule: body.rrule, timezone: body.timezone, start: body.start, exceptions }
      checkRecurrence(spec)
      const result = await ctx.db.transaction().execute(async (tx) => {
        await lockOwner(tx, did)
        if ((await countActiveDrafts(tx, did)) >= ctx.cfg.maxDraftsPerUser) {
          throw new InvalidRequestError(
            `at most ${ctx.cfg.maxDraftsPerUser} unpublished drafts per account`,
            'TooManyDrafts',
          )
        }
        const schedule = await insertSchedule(tx, {
          id: newId(),
          ownerDid: did,
          collection: body.collection,
          record: record ? JSON.stringify(record) : null,
          contentUrl: body.contentUrl ?? null,
          rrule: spec.rrule.trim().replace(/^RRULE:/i, ''),
          timezone: spec.timezone,
          dtstartLocal: spec.start,
          exceptions: JSON.stringify(exceptions),
          paused: body.paused ?? false,
          keepCreatedAt: body.keepCreatedAt ?? false,
          blobCids: record ? collectBlobCids([record, ...exceptions.map((e) => e.record ?? null)]) : [],
        })
        const now = new Date()
        const draft = schedule.paused
          ? null
          : await planNextOccurrence(tx, ctx.tids, schedule, {
              afterOccurrence: now,
              notBefore: now,
              countFire: false,
            })
        const fresh = await tx
          .selectFrom('schedulerSchedule')
          .selectAll()
          .where('id', '=', schedule.id)
          .executeTakeFirstOrThrow()
        return { schedule: fresh, pendingDraftId: draft?.id }
      })
      return {
        encoding: 'application/json',
        body: { schedule: scheduleView(result.schedule, { pendingDraftId: result.pendingDraftId }) },
      }
    },
  })
}
