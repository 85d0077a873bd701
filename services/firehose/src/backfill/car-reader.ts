import { hash } from 'node:crypto'
import { setImmediate as yieldToIo } from 'node:timers/promises'
import { cborDecode } from '@atproto/lex-cbor'
import { isCid } from '@atproto/lex-data'
import type { Cid } from '@atproto/lex-data'
import { FetchFailure } from './pds-client.ts'

/** A repo CAR's blocks, keyed by the bytes of their CIDs (no CID objects or base32 strings per block). */
export class RepoBlocks {
  private map = new Map<string, Uint8Array>()

  get size(): number {
    return this.map.size
  }

  /** The map key of a CID (in binary form). */
  static key(cid: Uint8Array): string {
    return Buffer.from(cid.buffer, cid.byteOffset, cid.byteLength).toString('latin1')
  }

  /** The block with this CID (in binary form). */
  get(cid: Uint8Array): Uint8Array | undefined {
    return this.map.get(RepoBlocks.key(cid))
  }

  /** Stores a block; its map key. */
  set(cid: Uint8Array, bytes: Uint8Array): string {
    const key = RepoBlocks.key(cid)
    this.map.set(key, bytes)
    return key
  }
}

/** Where `readRepoCar` hands each block, once its bytes are checked against its CID. */
export interface CarSink {
  /** A promise holds the read until it settles (backpressure); a throw ends it. */
  block(cid: Uint8Array, bytes: Uint8Array): void | Promise<void>
}

/** CIDv1, dag-cbor or raw, sha2-256: the only CIDs a repo holds. 4 bytes of prefix, 32 of digest. */
const CID_BYTES = 36
const DAG_CBOR = 0x71
const RAW = 0x55
/** Blocks read between two looks at the event loop. */
const BLOCKS_PER_TURN = 250

/**
 * Reads a repo CAR as it streams in, checking every block against its CID (sha-256 of the bytes) and handing it
 * to the sink `open` gives for the header's root, in the order the CAR has them. Does what `readCarStream` from
 * @atproto/repo does, several times faster: no promise per byte, no CID object per block. Throws an `invalid`
 * FetchFailure on anything malformed; errors of the source (the network) and of the sink pass through.
 */
export async function readRepoCar(
  source: AsyncIterable<Uint8Array>,
  open: (root: Cid) => CarSink,
): Promise<Cid> {
  const chunks = source[Symbol.asyncIterator]()
  try {
    return await readSections(chunks, open)
  } catch (err) {
    // The rest of the download is not wanted.
    await chunks.return?.()
    throw err
  }
}

async function readSections(chunks: AsyncIterator<Uint8Array>, open: (root: Cid) => CarSink): Promise<Cid> {
  let buf: Buffer = Buffer.alloc(0)
  let pos = 0
  let ended = false
  /** Makes `n` bytes available from `pos`; false at the end of the stream. */
  const have = async (n: number): Promise<boolean> => {
    while (buf.length - pos < n) {
      if (ended) return false
      const next = await chunks.next()
      if (next.done) {
        ended = true
        return false
      }
      buf = Buffer.concat([buf.subarray(pos), next.value])
      pos = 0
    }
    return true
  }
  /** A section's length prefix; undefined at a clean end of the stream. */
  const sectionLength = async (): Promise<number | undefined> => {
    let value = 0
    for (let i = 0; ; i++) {
      if (!(await have(i + 1))) {
        if (i === 0) return undefined
        throw invalid('truncated length')
      }
      const byte = buf[pos + i]
      value += (byte & 0x7f) * 2 ** (7 * i)
      if (byte < 0x80) {
        pos += i + 1
        return value
      }
      if (i >= 7) throw invalid('length too long')
    }
  }

  const headerLength = await sectionLength()
  if (headerLength === undefined || !(await have(headerLength))) throw invalid('no header')
  const header = decodeHeader(buf.subarray(pos, pos + headerLength))
  pos += headerLength

  const sink = open(header)
  for (let n = 1; ; n++) {
    const length = await sectionLength()
    if (length === undefined) break
    if (length < CID_BYTES || !(await have(length))) throw invalid('truncated block')
    const cid = buf.subarray(pos, pos + CID_BYTES)
    const bytes = buf.subarray(pos + CID_BYTES, pos + length)
    pos += length
    if (cid[0] !== 1 || (cid[1] !== DAG_CBOR && cid[1] !== RAW) || cid[2] !== 0x12 || cid[3] !== 0x20) {
      throw invalid('unsupported CID')
    }
    // One-shot hashing: no Hash object per block (repo blocks are small, so that object was most of the cost).
    if (!hash('sha256', bytes, 'buffer').equals(cid.subarray(4))) {
      throw invalid('a block does not match its CID')
    }
    const held = sink.block(cid, bytes)
    if (held) await held
    if (n % BLOCKS_PER_TURN === 0) await yieldToIo()
  }
  return header
}

function decodeHeader(bytes: Uint8Array): Cid {
  let header: unknown
  try {
    header = cborDecode(bytes)
  } catch {
    throw invalid('unreadable header')
  }
  const { version, roots } = (header ?? {}) as { version?: unknown; roots?: unknown }
  if (version !== 1 || !Array.isArray(roots) || roots.length !== 1 || !isCid(roots[0])) {
    throw invalid('header must be version 1 with one root')
  }
  return roots[0]
}

function invalid(why: string): FetchFailure {
  return new FetchFailure('invalid', `malformed repo CAR: ${why}`)
}
