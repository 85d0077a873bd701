import { AuthRequiredError, XRPCError, parseReqNsid } from '@atproto/xrpc-server'
import type { MethodAuthContext } from '@atproto/xrpc-server'
import type { ServiceAuthVerifier } from '@sundial/common'
import type { LocalUsers } from './local-users.ts'

export interface ViewerAuth {
  credentials: { viewer: string }
}

export interface OptionalViewerAuth {
  credentials: { viewer: string | null }
}

/**
 * XRPC auth verifiers: a service JWT addressed to us (`aud`) for the method called (`lxm`), signed by the
 * issuer's atproto key. Every failure is a 401. A verified viewer becomes a local user (their first call builds
 * their materialised timeline), whichever method they called.
 */
export class AuthVerifier {
  constructor(
    private service: ServiceAuthVerifier,
    private localUsers: LocalUsers,
  ) {}

  /** A valid token is required; the viewer is its issuer. */
  standard = async ({ req }: MethodAuthContext): Promise<ViewerAuth> => {
    const { credentials } = await unauthorizedOnFailure(() =>
      this.service.verify(req.headers.authorization, parseReqNsid(req)),
    )
    await this.localUsers.ensure(credentials.did)
    return { credentials: { viewer: credentials.did } }
  }

  /** No Authorization header means no viewer; a header that is present must still be valid. */
  optional = async ({ req }: MethodAuthContext): Promise<OptionalViewerAuth> => {
    const { credentials } = await unauthorizedOnFailure(() =>
      this.service.verifyOptional(req.headers.authorization, parseReqNsid(req)),
    )
    if (credentials.did) await this.localUsers.ensure(credentials.did)
    return { credentials: { viewer: credentials.did } }
  }
}

/** Tokens that are not even JWTs (bad base64 or JSON) make the verifier throw plain errors: still a 401. */
async function unauthorizedOnFailure<T>(verify: () => Promise<T>): Promise<T> {
  try {
    return await verify()
  } catch (err) {
    if (err instanceof XRPCError) throw err
    throw new AuthRequiredError('malformed token', 'BadJwt')
  }
}
