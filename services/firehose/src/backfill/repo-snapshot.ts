import { lexToJson } from '@atproto/lex-json'
import { cborToLexRecord, def, ensureV3Commit, parseObjByDef, verifyCommitSig } from '@atproto/repo'
import type { Commit } from '@atproto/repo'
import { COLLECTIONS } from '../ingest/events.ts'
import type { Collection } from '../ingest/events.ts'
import { readRepoCar } from './car-reader.ts'
import { cidString, decodeRecordJson } from './cbor.ts'
import { mstLeaves } from './mst-walk.ts'
import type { MstLeaf } from './mst-walk.ts'
import { FetchFailure, message } from './pds-client.ts'
import type { PdsClient, RequestOptions } from './pds-client.ts'

/** One record of a fetched repo, in the JSON form Jetstream sends. */
export interface RepoRecord {
  collection: Collection
  rkey: string
  cid: string
  record: Record<string, unknown>
  /** Encoded size, for the same size limit live events get. */
  bytes: number
}

/** An account's records in the indexed collections, as of one revision. */
export interface RepoSnapshot {
  /**
   * The repo revision the records are as of: every change up to it is reflected, none after. For a listing it is
   * the revision read just before listing, which the listing cannot predate.
   */
  rev: string
  method: 'car' | 'list'
  /** URI of every record in the indexed collections, including ones too old to index. */
  uris: Set<string>
  /** Records in batches of at most `size`. */
  batches(size: number): Iterable<RepoRecord[]>
}

const WANTED = new Set<string>(COLLECTIONS)

export interface SigningKeys {
  signingKey: string
  /** A fresh key when the first does not verify (it may have rotated since the DID document was cached). */
  refresh?: () => Promise<string>
}

/**
 * Reads a repo CAR (`com.atproto.sync.getRepo`) and checks it: every block's hash against its CID, the commit's
 * DID, and the commit signature against the account's signing key. The MST rooted in the signed commit then
 * authenticates every record reached through it.
 */
export async function snapshotFromCar(
  did: string,
  car: Uint8Array | AsyncIterable<Uint8Array>,
  keys: SigningKeys,
): Promise<RepoSnapshot> {
  const { root, blocks } = await readRepoCar(car instanceof Uint8Array ? once(car) : car)
  let commit: Commit
  try {
    const bytes = blocks.get(root.bytes)
    if (!bytes) throw new Error('no commit block')
    commit = ensureV3Commit(parseObjByDef(bytes, root, def.versionedCommit).obj)
  } catch (err) {
    throw new FetchFailure('invalid', `unreadable repo commit: ${message(err)}`)
  }
  if (commit.did !== did) throw new FetchFailure('invalid', `repo CAR is for ${commit.did}`)
  let verified = await verifyCommitSig(commit, keys.signingKey)
  if (!verified && keys.refresh) verified = await verifyCommitSig(commit, await keys.refresh())
  if (!verified) throw new FetchFailure('invalid', 'repo commit signature does not verify')
  const leaves: Array<{ collection: Collection; rkey: string; cid: Uint8Array }> = []
  const uris = new Set<string>()
  let all: MstLeaf[]
  try {
    all = await mstLeaves(blocks, commit.data.bytes)
  } catch (err) {
    throw err instanceof FetchFailure
      ? err
      : new FetchFailure('invalid', `unreadable repo MST: ${message(err)}`)
  }
  for (const leaf of all) {
    const slash = leaf.key.indexOf('/')
    const collection = leaf.key.slice(0, slash)
    if (!WANTED.has(collection)) continue
    const rkey = leaf.key.slice(slash + 1)
    leaves.push({ collection: collection as Collection, rkey, cid: leaf.cid })
    uris.add(`at://${did}/${collection}/${rkey}`)
  }
  return {
    rev: commit.rev,
    method: 'car',
    uris,
    *batches(size) {
      for (let i = 0; i < leaves.length; i += size) {
        yield leaves.slice(i, i + size).flatMap((leaf) => {
          const bytes = blocks.get(leaf.cid)
          if (!bytes) throw new FetchFailure('invalid', `repo CAR lacks record block ${cidString(leaf.cid)}`)
          const record = recordJson(bytes)
          // Undecodable record: as the reference AppView, skip it rather than the account.
          if (!record) return []
          return [{ ...leaf, cid: cidString(leaf.cid), record, bytes: bytes.byteLength }]
        })
      }
    },
  }
}

/** A record block in JSON form; the library decodes the unusual ones (floats, big integers, CIDv0 links). */
function recordJson(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    return decodeRecordJson(bytes)
  } catch {
    try {
      return lexToJson(cborToLexRecord(bytes)) as Record<string, unknown>
    } catch {
      return undefined
    }
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes
}

/**
 * Lists every record of the indexed collections page by page (`com.atproto.repo.listRecords`): the fallback
 * when the CAR cannot be had. Not signed, and not one consistent revision: `rev` must be read before listing.
 */
export async function snapshotFromListing(
  client: PdsClient,
  did: string,
  rev: string,
  opts: RequestOptions,
): Promise<RepoSnapshot> {
  const records: RepoRecord[] = []
  const uris = new Set<string>()
  for (const collection of COLLECTIONS) {
    let cursor: string | undefined
    do {
      const page = await client.listRecords(did, collection, cursor, opts)
      for (const r of page.records) {
        const rkey = r.uri.slice(r.uri.lastIndexOf('/') + 1)
        if (r.uri !== `at://${did}/${collection}/${rkey}`) continue
        uris.add(r.uri)
        records.push({ collection, rkey, cid: r.cid, record: r.value, bytes: JSON.stringify(r.value).length })
      }
      // A page without a cursor, or an empty page, is the end (some PDSes repeat the last cursor).
      cursor = page.records.length > 0 && page.cursor !== cursor ? page.cursor : undefined
    } while (cursor)
  }
  return {
    rev,
    method: 'list',
    uris,
    *batches(size) {
      for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size)
    },
  }
}
