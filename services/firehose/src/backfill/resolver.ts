import {
  HandleResolver,
  IdResolver,
  MemoryCache,
  PoorlyFormattedDidDocumentError,
  PoorlyFormattedDidError,
  UnsupportedDidMethodError,
  parseToAtprotoDocument,
} from '@atproto/identity'
import { FetchFailure, message } from './pds-client.ts'

export interface RepoHome {
  /** PDS service URL from the DID document. */
  pds: string
  /** `host[:port]` of the PDS: the unit of per-host concurrency. */
  host: string
  /** did:key the repo commits are signed with. */
  signingKey: string
  /** The handle the DID document claims (not verified). */
  handle?: string
}

const HANDLE_TIMEOUT_MS = 3000

/** DID → PDS and signing key, through PLC (`did:plc`) or HTTPS (`did:web`), cached in memory. */
export class RepoResolver {
  private ids: IdResolver
  private handles = new HandleResolver({ timeout: HANDLE_TIMEOUT_MS })

  constructor(plcUrl: string, timeoutMs: number) {
    // Documents stay fresh for an hour and usable (refreshed in the background) for a day.
    const didCache = new MemoryCache(60 * 60_000, 24 * 60 * 60_000)
    this.ids = new IdResolver({ plcUrl, timeout: timeoutMs, didCache })
  }

  /** Throws a FetchFailure: `unavailable` when the DID has no repo to fetch, `transient` when PLC did not answer. */
  async resolve(did: string, forceRefresh = false): Promise<RepoHome> {
    let doc
    try {
      doc = await this.ids.did.resolve(did, forceRefresh)
    } catch (err) {
      // PLC answers 410 for a tombstoned DID.
      const gone =
        (err as { status?: unknown }).status === 410 ||
        err instanceof PoorlyFormattedDidError ||
        err instanceof PoorlyFormattedDidDocumentError ||
        err instanceof UnsupportedDidMethodError
      throw new FetchFailure(gone ? 'unavailable' : 'transient', `resolving ${did}: ${message(err)}`)
    }
    if (!doc) throw new FetchFailure('unavailable', `resolving ${did}: not found`)
    const { pds, signingKey, handle } = parseToAtprotoDocument(doc)
    if (!pds || !signingKey) throw new FetchFailure('unavailable', `${did} names no PDS or no signing key`)
    let host: string
    try {
      host = new URL(pds).host
    } catch {
      throw new FetchFailure('unavailable', `${did}: bad PDS endpoint ${pds}`)
    }
    return { pds, host, signingKey, handle }
  }

  /** The handle, lower-cased, if it resolves back to `did` (DNS or HTTPS, as the reference AppView checks). */
  async verifiedHandle(did: string, handle: string): Promise<string | undefined> {
    try {
      return (await this.handles.resolve(handle)) === did ? handle.toLowerCase() : undefined
    } catch {
      return undefined
    }
  }
}
