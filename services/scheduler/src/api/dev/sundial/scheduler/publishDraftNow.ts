import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { EDITABLE_STATUSES, getOwnedDraftForUpdate, updateDraft } from '../../../../db/drafts.ts'
import { draftView } from '../../../../views/draft-view.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.publishDraftNow<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.publishDraftNow'),
    handler: async ({ auth, input }) => {
      const row = await ctx.db.transaction().execute(async (tx) => {
        const draft = await getOwnedDraftForUpdate(tx, auth.credentials.did, input.body.id)
        if (!draft) throw new InvalidRequestError('draft not found', 'DraftNotFound')
        if (!EDITABLE_STATUSES.includes(draft.status)) {
          throw new InvalidRequestError(
            `a ${draft.status} draft cannot be published now`,
            'InvalidDraftState',
          )
        }
        const now = new Date()
        return updateDraft(tx, draft.id, {
          status: 'scheduled',
          scheduledAt: now,
          nextAttemptAt: now,
          wakeAt: now,
          // A failed draft starts a fresh series of attempts (its earlier ones may still have landed: the
          // publisher looks for the record first whenever attempts > 1).
          attempts: draft.status === 'failed' ? Math.min(draft.attempts, 1) : draft.attempts,
          failures: 0,
          lastError: null,
        })
      })
      return { encoding: 'application/json', body: { draft: draftView(row!) } }
    },
  })
}
