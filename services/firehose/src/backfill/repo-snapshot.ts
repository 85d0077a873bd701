import { setImmediate as yieldToIo } from 'node:timers/promises'
import type { Cid } from '@atproto/lex-data'
import { lexToJson } from '@atproto/lex-json'
import { cborToLexRecord, def, ensureV3Commit, parseObjByDef, verifyCommitSig } from '@atproto/repo'
import type { Commit } from '@atproto/repo'
import { COLLECTIONS } from '../ingest/events.ts'
import type { Collection } from '../ingest/events.ts'
import { readRepoCar } from './car-reader.ts'
import { cidString, decodeRecordJson } from './cbor.ts'
import { MstWalk } from './mst-walk.ts'
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

/** An account's records in the indexed collections, as of one revision (the records went to a `RecordSink`). */
export interface RepoSnapshot {
  /**
   * The repo revision the records are as of: every change up to it is reflected, none after. For a listing it is
   * the revision read just before listing, which the listing cannot predate.
   */
  rev: string
  method: 'car' | 'list'
  /** URI of every record in the indexed collections, including ones too old to index. */
  uris: Set<string>
}

/** Where a repo's records go as they are read. */
export interface RecordSink {
  /** The revision the records that follow are as of (before any of them; again if a read starts over). */
  begin(rev: string): void
  /** Records, in no particular order; a promise holds the read until it settles (backpressure). */
  add(records: RepoRecord[]): void | Promise<void>
}

const WANTED = new Set<string>(COLLECTIONS)
/** Records decoded and handed on at a time; the event loop is looked at between two handfuls. */
const RECORDS_PER_TURN = 50

export interface SigningKeys {
  signingKey: string
  /** A fresh key when the first does not verify (it may have rotated since the DID document was cached). */
  refresh?: () => Promise<string>
}

/**
 * Reads a repo CAR (`com.atproto.sync.getRepo`) and checks it: every block's hash against its CID, the commit's
 * DID, and the commit signature against the account's signing key. The MST rooted in the signed commit then
 * authenticates every record reached through it. Records go to the sink while the CAR is still arriving, as
 * soon as they are reachable from the verified commit (see `MstWalk`); nothing goes before the commit is
 * verified. Fails (`invalid`) if the tree turns out incomplete or malformed, possibly after some records went.
 */
export async function snapshotFromCar(
  did: string,
  car: Uint8Array | AsyncIterable<Uint8Array>,
  keys: SigningKeys,
  sink: RecordSink,
): Promise<RepoSnapshot> {
  const walk = new MstWalk((key) => WANTED.has(key.slice(0, key.indexOf('/'))))
  let rev: string | undefined
  const handOn = async (all: boolean) => {
    while (walk.readyCount >= (all ? 1 : RECORDS_PER_TURN)) {
      const ready = walk.takeReady()
      for (let i = 0; i < ready.length; i += RECORDS_PER_TURN) {
        const held = sink.add(recordsOf(did, ready.slice(i, i + RECORDS_PER_TURN)))
        if (held) await held
        await yieldToIo()
      }
    }
  }
  const root = await readRepoCar(car instanceof Uint8Array ? once(car) : car, (root) => ({
    block: (cid, bytes) => {
      walk.add(cid, bytes)
      if (rev === undefined && equalBytes(cid, root.bytes)) {
        return verifyCommit(did, root, bytes, keys).then((commit) => {
          rev = commit.rev
          sink.begin(rev)
          start(walk, commit.data.bytes)
          return handOn(false)
        })
      }
      if (walk.readyCount >= RECORDS_PER_TURN) return handOn(false)
    },
  }))
  if (rev === undefined) {
    throw new FetchFailure('invalid', `unreadable repo commit: no commit block ${root.toString()}`)
  }
  await handOn(true)
  walk.finish()
  const uris = new Set<string>()
  for (const leaf of walk.leaves) {
    const slash = leaf.key.indexOf('/')
    if (WANTED.has(leaf.key.slice(0, slash))) uris.add(`at://${did}/${leaf.key}`)
  }
  return { rev, method: 'car', uris }
}

/** The commit block, checked: readable, for this DID, signed by its key. */
async function verifyCommit(did: string, root: Cid, bytes: Uint8Array, keys: SigningKeys): Promise<Commit> {
  let commit: Commit
  try {
    commit = ensureV3Commit(parseObjByDef(bytes, root, def.versionedCommit).obj)
  } catch (err) {
    throw new FetchFailure('invalid', `unreadable repo commit: ${message(err)}`)
  }
  if (commit.did !== did) throw new FetchFailure('invalid', `repo CAR is for ${commit.did}`)
  let verified = await verifyCommitSig(commit, keys.signingKey)
  if (!verified && keys.refresh) verified = await verifyCommitSig(commit, await keys.refresh())
  if (!verified) throw new FetchFailure('invalid', 'repo commit signature does not verify')
  return commit
}

function start(walk: MstWalk, dataRoot: Uint8Array): void {
  try {
    walk.start(dataRoot)
  } catch (err) {
    throw err instanceof FetchFailure
      ? err
      : new FetchFailure('invalid', `unreadable repo MST: ${message(err)}`)
  }
}

/** Records in JSON form; an undecodable one is skipped, as the reference AppView does, rather than the account. */
function recordsOf(did: string, ready: Array<{ leaf: MstLeaf; bytes: Uint8Array }>): RepoRecord[] {
  const out: RepoRecord[] = []
  for (const { leaf, bytes } of ready) {
    const record = recordJson(bytes)
    if (!record) continue
    const slash = leaf.key.indexOf('/')
    out.push({
      collection: leaf.key.slice(0, slash) as Collection,
      rkey: leaf.key.slice(slash + 1),
      cid: cidString(leaf.cid),
      record,
      bytes: bytes.byteLength,
    })
  }
  return out
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
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
  sink: RecordSink,
): Promise<RepoSnapshot> {
  const uris = new Set<string>()
  sink.begin(rev)
  for (const collection of COLLECTIONS) {
    let cursor: string | undefined
    do {
      const page = await client.listRecords(did, collection, cursor, opts)
      const records: RepoRecord[] = []
      for (const r of page.records) {
        const rkey = r.uri.slice(r.uri.lastIndexOf('/') + 1)
        if (r.uri !== `at://${did}/${collection}/${rkey}`) continue
        uris.add(r.uri)
        records.push({ collection, rkey, cid: r.cid, record: r.value, bytes: JSON.stringify(r.value).length })
      }
      if (records.length > 0) await sink.add(records)
      // A page without a cursor, or an empty page, is the end (some PDSes repeat the last cursor).
      cursor = page.records.length > 0 && page.cursor !== cursor ? page.cursor : undefined
    } while (cursor)
  }
  return { rev, method: 'list', uris }
}
