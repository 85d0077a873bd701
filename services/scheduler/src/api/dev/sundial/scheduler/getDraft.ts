import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { getOwnedDraft } from '../../../../db/drafts.ts'
import { draftView } from '../../../../views/draft-view.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.getDraft<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.getDraft'),
    handler: async ({ auth, params }) => {
      // Another account's draft is indistinguishable from a missing one.
      const row = await getOwnedDraft(ctx.db, auth.credentials.did, params.id)
      if (!row) throw new InvalidRequestError('draft not found', 'DraftNotFound')
      return { encoding: 'application/json', body: { draft: draftView(row) } }
    },
  })
}
