import type { MethodAuthContext } from '@atproto/xrpc-server'
import type { AppContext } from '../context.ts'

export interface UserAuth {
  credentials: { did: string }
}

/**
 * Inbound auth for a method: a service-auth JWT from the user's PDS addressed to us (`aud` = SERVICE_DID)
 * for exactly this method (`lxm`). The DID it proves is the only owner whose drafts the request may touch.
 */
export function userAuth(ctx: AppContext, nsid: string) {
  return async ({ req }: MethodAuthContext): Promise<UserAuth> => {
    const result = await ctx.authVerifier.verify(req.headers.authorization, nsid)
    return { credentials: { did: result.credentials.did } }
  }
}
