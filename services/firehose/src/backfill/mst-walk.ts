import { RepoBlocks } from './car-reader.ts'
import { CidLink, cidString, decodeCbor } from './cbor.ts'
import { FetchFailure } from './pds-client.ts'

export interface MstLeaf {
  /** `collection/rkey`. */
  key: string
  /** The record's CID, in binary form. */
  cid: Uint8Array
}

/** Which leaves' record blocks the walk needs (the others are listed, but their blocks are not looked for). */
export type LeafFilter = (key: string) => boolean

/** A block the walk is waiting for: a node with the key range its entries must fall in, or a record. */
type Want =
  | { kind: 'node'; low: string | undefined; high: string | undefined; depth: number }
  | { kind: 'record'; key: string }

const MAX_DEPTH = 128

/**
 * Walks a repo's MST while its CAR is still arriving, in whatever order the blocks come: a node is read as soon as
 * it and the node pointing to it are both in, and a record is handed on as soon as its block and the leaf naming
 * it are. Starting from the signed commit's data root, everything handed on is reachable from that root, so it is
 * authenticated (each block's hash was checked against its CID as it arrived). A PDS that sends newer blocks first
 * (the reference PDS sends them by revision, newest first; parents are never older than their children) lets
 * almost every block be used on arrival.
 *
 * Checks node shapes, and that every key lies strictly between its neighbours in the tree (so, over the whole
 * tree, keys strictly increase in order); `finish` fails if a node or a wanted record block never came. Same
 * leaves as `MST.leaves()` from @atproto/repo, without a promise per node or a CID object per link.
 */
export class MstWalk {
  /** Every block in so far, keyed by CID. */
  readonly blocks = new RepoBlocks()
  private wanted = new Map<string, Want[]>()
  /** Leaves of every key (including those the filter leaves out), in no particular order. */
  readonly leaves: MstLeaf[] = []
  private ready: Array<{ leaf: MstLeaf; bytes: Uint8Array }> = []
  private started = false

  constructor(private wantRecord: LeafFilter) {}

  /** Starts the walk at the (verified) data root; blocks already in are used at once. */
  start(root: Uint8Array): void {
    this.started = true
    this.want(root, { kind: 'node', low: undefined, high: undefined, depth: 0 })
  }

  /** A block whose bytes match its CID. */
  add(cid: Uint8Array, bytes: Uint8Array): void {
    const key = this.blocks.set(cid, bytes)
    if (!this.started) return
    const wants = this.wanted.get(key)
    if (!wants) return
    this.wanted.delete(key)
    for (const w of wants) this.use(cid, bytes, w)
  }

  /** Records whose block and leaf are both in, since the last call. */
  takeReady(): Array<{ leaf: MstLeaf; bytes: Uint8Array }> {
    const out = this.ready
    this.ready = []
    return out
  }

  get readyCount(): number {
    return this.ready.length
  }

  /** Once every block is in: fails if the tree is incomplete. */
  finish(): void {
    if (!this.started) throw malformed('no data root')
    for (const [key, wants] of this.wanted) {
      const cid = cidString(Buffer.from(key, 'latin1'))
      throw new FetchFailure(
        'invalid',
        wants[0].kind === 'node' ? `repo CAR lacks MST node ${cid}` : `repo CAR lacks record block ${cid}`,
      )
    }
  }

  private want(cid: Uint8Array, w: Want): void {
    const bytes = this.blocks.get(cid)
    if (bytes) {
      this.use(cid, bytes, w)
      return
    }
    const key = RepoBlocks.key(cid)
    const wants = this.wanted.get(key)
    if (wants) wants.push(w)
    else this.wanted.set(key, [w])
  }

  private use(cid: Uint8Array, bytes: Uint8Array, w: Want): void {
    if (w.kind === 'record') {
      this.ready.push({ leaf: { key: w.key, cid }, bytes })
      return
    }
    if (w.depth > MAX_DEPTH) throw malformed('tree too deep')
    let node: { l?: unknown; e?: unknown }
    try {
      node = decodeCbor(bytes) as { l?: unknown; e?: unknown }
    } catch (err) {
      throw malformed((err as Error).message)
    }
    if (typeof node !== 'object' || node === null || !Array.isArray(node.e)) throw malformed('not a node')
    if (node.l !== null && !(node.l instanceof CidLink)) throw malformed('bad left link')
    // Keys first (each entry's right subtree lies between its key and the next one's).
    const entries = node.e as Array<{ p?: unknown; k?: unknown; v?: unknown; t?: unknown }>
    const keys: string[] = []
    let last = ''
    let previous = w.low
    for (const { p, k, v, t } of entries) {
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > last.length)
        throw malformed('bad prefix')
      if (!(k instanceof Uint8Array) || !(v instanceof CidLink) || (t !== null && !(t instanceof CidLink))) {
        throw malformed('bad entry')
      }
      const key = last.slice(0, p) + ascii(k)
      if ((previous !== undefined && key <= previous) || (w.high !== undefined && key >= w.high))
        throw malformed('keys out of order')
      keys.push(key)
      last = key
      previous = key
    }
    const depth = w.depth + 1
    if (node.l !== null) {
      this.want(node.l.bytes, { kind: 'node', low: w.low, high: keys[0] ?? w.high, depth })
    }
    entries.forEach((entry, i) => {
      const key = keys[i]
      const leafCid = (entry.v as CidLink).bytes
      this.leaves.push({ key, cid: leafCid })
      if (this.wantRecord(key)) this.want(leafCid, { kind: 'record', key })
      if (entry.t !== null) {
        const high = i + 1 < keys.length ? keys[i + 1] : w.high
        this.want((entry.t as CidLink).bytes, { kind: 'node', low: key, high, depth })
      }
    })
  }
}

function ascii(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i])
  return s
}

function malformed(why: string): FetchFailure {
  return new FetchFailure('invalid', `malformed repo MST: ${why}`)
}
