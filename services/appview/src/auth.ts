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

export interface AuthVerifierOptions {
  /** Verified tokens remembered until they expire. Default 10,000. */
  maxCachedTokens?: number
  /**
   * Longest a verified token is remembered, even when its `exp` is later. Default 5 minutes, the time the
   * issuer's DID document is trusted without re-resolving it: a rotated signing key stops a token as soon.
   */
  maxCacheMs?: number
}

/**
 * XRPC auth verifiers: a service JWT addressed to us (`aud`) for the method called (`lxm`), signed by the
 * issuer's atproto key. Every failure is a 401. A verified viewer becomes a local user (their first call builds
 * their materialised timeline), whichever method they called.
 *
 * Checking a secp256k1 signature costs milliseconds of CPU, and clients reuse a token for its whole lifetime
 * (a minute or so), so a token that verified for a method is remembered until its `exp` (at most `maxCacheMs`):
 * the same token for the same method is accepted without checking the signature again. The key is the method
 * and the whole header, so a different method, audience or signature is never served from the cache.
 */
export class AuthVerifier {
  private verified = new Map<string, { viewer: string; expiresAtMs: number }>()
  private maxCachedTokens: number
  private maxCacheMs: number

  constructor(
    private service: ServiceAuthVerifier,
    private localUsers: LocalUsers,
    opts: AuthVerifierOptions = {},
  ) {
    this.maxCachedTokens = opts.maxCachedTokens ?? 10_000
    this.maxCacheMs = opts.maxCacheMs ?? 5 * 60_000
  }

  /** A valid token is required; the viewer is its issuer. */
  standard = async ({ req }: MethodAuthContext): Promise<ViewerAuth> => {
    const authorization = req.headers.authorization
    if (!authorization) throw new AuthRequiredError('missing bearer token', 'AuthMissing')
    const viewer = await this.viewerFor(authorization, parseReqNsid(req))
    return { credentials: { viewer } }
  }

  /** No Authorization header means no viewer; a header that is present must still be valid. */
  optional = async ({ req }: MethodAuthContext): Promise<OptionalViewerAuth> => {
    const authorization = req.headers.authorization
    if (!authorization) return { credentials: { viewer: null } }
    const viewer = await this.viewerFor(authorization, parseReqNsid(req))
    return { credentials: { viewer } }
  }

  private async viewerFor(authorization: string, nsid: string): Promise<string> {
    const key = `${nsid} ${authorization}`
    const cached = this.verified.get(key)
    let viewer: string
    if (cached && cached.expiresAtMs > Date.now()) {
      viewer = cached.viewer
    } else {
      const { credentials } = await unauthorizedOnFailure(() => this.service.verify(authorization, nsid))
      viewer = credentials.did
      this.remember(key, viewer, authorization)
    }
    await this.localUsers.ensure(viewer)
    return viewer
  }

  private remember(key: string, viewer: string, authorization: string): void {
    const exp = tokenExp(authorization)
    if (exp === undefined) return
    this.verified.set(key, { viewer, expiresAtMs: Math.min(exp * 1000, Date.now() + this.maxCacheMs) })
    if (this.verified.size > this.maxCachedTokens) {
      const now = Date.now()
      for (const [k, entry] of this.verified) {
        if (entry.expiresAtMs <= now || this.verified.size > this.maxCachedTokens) this.verified.delete(k)
        else break
      }
    }
  }
}

/** `exp` (seconds) of a bearer JWT that already passed verification. */
function tokenExp(authorization: string): number | undefined {
  const payload = authorization.split(' ')[1]?.split('.')[1]
  if (!payload) return undefined
  try {
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }
    return typeof exp === 'number' ? exp : undefined
  } catch {
    return undefined
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
