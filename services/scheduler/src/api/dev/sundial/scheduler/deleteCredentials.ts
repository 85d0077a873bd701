import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { deleteCredential } from '../../../../db/credentials.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.deleteCredentials<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.deleteCredentials'),
    handler: async ({ auth }) => {
      const did = auth.credentials.did
      await ctx.oauth?.forget(did)
      await deleteCredential(ctx.db, did)
      ctx.outbound.forget(did)
    },
  })
}
