import { InvalidRequestError, UpstreamFailureError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { upsertCredential } from '../../../../db/credentials.ts'
import { checkAppPassword, secretContext, sessionContext } from '../../../../outbound/outbound-auth.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

/**
 * For self-hosters: store an app password for the requesting account. We find its PDS from the DID
 * document (never from the request), sign in once to check it proves the same account, then keep the
 * password and session encrypted.
 */
export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.putAppPassword<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.putAppPassword'),
    handler: async ({ auth, input }) => {
      const did = auth.credentials.did
      const identifier = input.body.identifier ?? did
      const pdsUrl = await resolvePds(ctx, did)
      const checked = await checkAppPassword(
        pdsUrl,
        { identifier, password: input.body.appPassword },
        ctx.fetch,
      )
      if (!checked.ok) {
        if (checked.transient) throw new UpstreamFailureError(`could not reach the PDS: ${checked.reason}`)
        throw new InvalidRequestError(
          `the PDS refused the app password: ${checked.reason}`,
          'InvalidAppPassword',
        )
      }
      if (checked.session.did !== did) {
        throw new InvalidRequestError('the app password signs in to a different account', 'AccountMismatch')
      }
      await upsertCredential(ctx.db, {
        did,
        kind: 'app_password',
        pdsUrl,
        identifier,
        secretEnc: ctx.box.encryptJson({ identifier, password: input.body.appPassword }, secretContext(did)),
        sessionEnc: ctx.box.encryptJson(checked.session, sessionContext(did)),
      })
      ctx.outbound.forget(did)
      return {
        encoding: 'application/json',
        body: { did, authorized: true, kind: 'app_password', pdsUrl, status: 'active' },
      }
    },
  })
}

export async function resolvePds(ctx: AppContext, did: string): Promise<string> {
  try {
    const data = await ctx.idResolver.did.resolveAtprotoData(did, true)
    return data.pds.replace(/\/+$/, '')
  } catch (err) {
    throw new InvalidRequestError(
      `cannot find the PDS of ${did}: ${(err as Error).message}`,
      'UnresolvableDid',
    )
  }
}
