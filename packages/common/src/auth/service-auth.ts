import { IdResolver, MemoryCache } from '@atproto/identity'
import { AuthRequiredError, verifyJwt } from '@atproto/xrpc-server'

export interface ServiceAuthOptions {
  /** Our DID: tokens must name it as `aud`. */
  serviceDid: string
  /** PLC directory used to resolve issuers' signing keys. */
  plcUrl: string
}

export interface ServiceAuthResult {
  credentials: { type: 'service'; did: string; aud: string; lxm: string | undefined }
}

/**
 * Verifies inter-service JWTs the way the reference AppView does: signature against the issuer's atproto
 * signing key (PLC or did:web, refreshed once on failure for key rotation), `aud` = our DID, `lxm` = the
 * method called, `exp`, and token types that are not service tokens rejected.
 */
export class ServiceAuthVerifier {
  readonly idResolver: IdResolver

  constructor(private opts: ServiceAuthOptions) {
    this.idResolver = new IdResolver({
      plcUrl: opts.plcUrl,
      didCache: new MemoryCache(5 * 60_000, 60 * 60_000),
    })
  }

  /** Verifies a bearer token for method `nsid`; throws AuthRequiredError (401). */
  async verify(authorization: string | undefined, nsid: string): Promise<ServiceAuthResult> {
    const token = bearerToken(authorization)
    if (!token) throw new AuthRequiredError('missing bearer token', 'AuthMissing')
    const payload = await verifyJwt(token, this.opts.serviceDid, nsid, async (iss, forceRefresh) => {
      const did = iss.split('#')[0]
      try {
        return await this.idResolver.did.resolveAtprotoKey(did, forceRefresh)
      } catch {
        throw new AuthRequiredError('could not resolve the issuer signing key', 'BadJwtIss')
      }
    }).catch((err: unknown) => {
      // verifyJwt throws plain errors for undecodable headers or payloads ("Bearer a.b.c"): still a bad token.
      if (err instanceof AuthRequiredError) throw err
      throw new AuthRequiredError('malformed jwt', 'BadJwt')
    })
    const did = payload.iss.split('#')[0]
    return { credentials: { type: 'service', did, aud: payload.aud, lxm: payload.lxm } }
  }

  /** Like verify, but a request without an Authorization header is allowed (no viewer). */
  async verifyOptional(
    authorization: string | undefined,
    nsid: string,
  ): Promise<ServiceAuthResult | { credentials: { type: 'none'; did: null } }> {
    if (!authorization) return { credentials: { type: 'none', did: null } }
    return this.verify(authorization, nsid)
  }
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim())
  return match?.[1]
}
