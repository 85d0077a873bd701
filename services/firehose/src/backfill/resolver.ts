import {
  DidNotFoundError,
  IdResolver,
  MemoryCache,
  PoorlyFormattedDidDocumentError,
  PoorlyFormattedDidError,
  UnsupportedDidMethodError,
} from '@atproto/identity'
import { FetchFailure, message } from './pds-client.ts'

export interface RepoHome {
  /** PDS service URL from the DID document. */
  pds: string
  /** `host[:port]` of the PDS: the unit of per-host concurrency. */
  host: string
  /** did:key the repo commits are signed with. */
  signingKey: string
}

/** DID → PDS and signing key, through PLC (`did:plc`) or HTTPS (`did:web`), cached in memory. */
export class RepoResolver {
  private resolver: IdResolver

  constructor(plcUrl: string, timeoutMs: number) {
    // Documents stay fresh for an hour and usable (refreshed in the background) for a day, as the reference does.
    this.resolver = new IdResolver({
      plcUrl,
      timeout: timeoutMs,
      didCache: new MemoryCache(60 * 60_000, 24 * 60 * 60_000),
    })
  }

  /** Throws a FetchFailure: `unavailable` when the DID has no repo to fetch, `transient` when PLC did not answer. */
  async resolve(did: string, forceRefresh = false): Promise<RepoHome> {
    let data
    try {
      data = await this.resolver.did.resolveAtprotoData(did, forceRefresh)
    } catch (err) {
      const status = (err as { status?: unknown }).status
      // PLC answers 410 for a tombstoned DID; a document without a PDS or key has no repo to fetch either.
      const gone =
        status === 410 ||
        err instanceof DidNotFoundError ||
        err instanceof PoorlyFormattedDidError ||
        err instanceof PoorlyFormattedDidDocumentError ||
        err instanceof UnsupportedDidMethodError ||
        /^Could not parse/.test(message(err))
      throw new FetchFailure(gone ? 'unavailable' : 'transient', `resolving ${did}: ${message(err)}`)
    }
    let host: string
    try {
      host = new URL(data.pds).host
    } catch {
      throw new FetchFailure('unavailable', `resolving ${did}: bad PDS endpoint ${data.pds}`)
    }
    return { pds: data.pds, host, signingKey: data.signingKey }
  }
}
