import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { getCredential } from '../../../../db/credentials.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.getAuthStatus<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.getAuthStatus'),
    handler: async ({ auth }) => {
      const did = auth.credentials.did
      const cred = await getCredential(ctx.db, did)
      return {
        encoding: 'application/json',
        body: cred
          ? {
              did,
              authorized: cred.status === 'active',
              kind: cred.kind,
              pdsUrl: cred.pdsUrl,
              status: cred.status,
              lastError: cred.lastError ?? undefined,
            }
          : { did, authorized: false },
      }
    },
  })
}
