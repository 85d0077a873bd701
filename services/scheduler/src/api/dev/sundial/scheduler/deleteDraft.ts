import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { deleteUnreferencedBlobs } from '../../../../db/blobs.ts'
import { deleteDraftRow, getOwnedDraftForUpdate, updateDraft } from '../../../../db/drafts.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.deleteDraft<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.deleteDraft'),
    handler: async ({ auth, input }) => {
      await ctx.db.transaction().execute(async (tx) => {
        const draft = await getOwnedDraftForUpdate(tx, auth.credentials.did, input.body.id)
        if (!draft) throw new InvalidRequestError('draft not found', 'DraftNotFound')
        if (draft.status === 'publishing') {
          throw new InvalidRequestError('the draft is being published right now', 'InvalidDraftState')
        }
        if (draft.status === 'draft' || draft.status === 'scheduled') {
          await updateDraft(tx, draft.id, { status: 'cancelled', wakeAt: null, nextAttemptAt: null })
        } else {
          await deleteDraftRow(tx, draft.id)
        }
        await deleteUnreferencedBlobs(tx, draft.ownerDid, { expiredOnly: false, cids: draft.blobCids })
      })
    },
  })
}
