import { lexToJson } from '@atproto/lexicon'
import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { EDITABLE_STATUSES, getOwnedDraftForUpdate, updateDraft } from '../../../../db/drafts.ts'
import type { DraftRow } from '../../../../db/drafts.ts'
import { collectBlobCids } from '../../../../records/blob-refs.ts'
import { recordCid } from '../../../../records/record-cid.ts'
import type { JsonRecord } from '../../../../records/record-cid.ts'
import { validateRecord } from '../../../../records/validate.ts'
import { draftView } from '../../../../views/draft-view.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.updateDraft<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.updateDraft'),
    handler: async ({ auth, input }) => {
      const body = input.body
      if (body.scheduledAt && body.unschedule) {
        throw new InvalidRequestError('scheduledAt and unschedule cannot be combined')
      }
      let record: JsonRecord | undefined
      let cid: string | undefined
      const row = await ctx.db.transaction().execute(async (tx) => {
        const draft = await getOwnedDraftForUpdate(tx, auth.credentials.did, body.id)
        if (!draft) throw new InvalidRequestError('draft not found', 'DraftNotFound')
        if (!EDITABLE_STATUSES.includes(draft.status)) {
          throw new InvalidRequestError(`a ${draft.status} draft cannot be changed`, 'InvalidDraftState')
        }
        const patch: Parameters<typeof updateDraft>[2] = {}
        if (body.record !== undefined) {
          if (draft.operation !== 'create' && draft.operation !== 'put') {
            throw new InvalidRequestError('only create and put drafts carry a record', 'InvalidRecord')
          }
          record = lexToJson(body.record as never) as JsonRecord
          const checked = validateRecord(draft.collection!, record, draft.validate ?? undefined)
          if (!checked.ok)
            throw new InvalidRequestError(`Invalid record: ${checked.message}`, 'InvalidRecord')
          record = { ...record, $type: record.$type ?? draft.collection! }
          cid = await recordCid(record)
          Object.assign(patch, {
            record: JSON.stringify(record),
            draftCid: cid,
            blobCids: collectBlobCids(record),
          })
        }
        if (body.keepCreatedAt !== undefined) patch.keepCreatedAt = body.keepCreatedAt
        Object.assign(patch, timing(draft, body))
        return updateDraft(tx, draft.id, patch)
      })
      return { encoding: 'application/json', body: { draft: draftView(row!) } }
    },
  })
}

/** New timing fields: a new time schedules it (again, also after a failure); unschedule parks it as a draft. */
function timing(draft: DraftRow, body: { scheduledAt?: string; unschedule?: boolean }) {
  if (body.scheduledAt) {
    const at = new Date(body.scheduledAt)
    return {
      status: 'scheduled' as const,
      scheduledAt: at,
      nextAttemptAt: at,
      wakeAt: at,
      failures: 0,
      lastError: null,
    }
  }
  if (body.unschedule) {
    return { status: 'draft' as const, scheduledAt: null, nextAttemptAt: null, wakeAt: null }
  }
  void draft
  return {}
}
