import { hash } from 'node:crypto'
import type { Prng } from './prng.ts'

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
const BASE32_SORTABLE = '234567abcdefghijklmnopqrstuvwxyz'

/** CIDv1 prefixes: version 1, codec (dag-cbor 0x71 / raw 0x55), sha2-256 multihash of 32 bytes. */
const DAG_CBOR_PREFIX = [0x01, 0x71, 0x12, 0x20]
const RAW_PREFIX = [0x01, 0x55, 0x12, 0x20]

/** RFC 4648 base32, lower case, no padding: the multibase `b` alphabet. */
export function base32(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (let i = 0; i < bytes.length; i++) {
    buffer = ((buffer << 8) | bytes[i]) & 0xffff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += BASE32[(buffer >>> bits) & 31]
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31]
  return out
}

function cidString(prefix: readonly number[], digest: Uint8Array): string {
  const bytes = new Uint8Array(36)
  bytes.set(prefix, 0)
  bytes.set(digest, 4)
  return `b${base32(bytes)}`
}

/** The CID of DAG-CBOR bytes, as atproto computes a record's CID. */
export function cidForCborBytes(cbor: Uint8Array): string {
  return cidString(DAG_CBOR_PREFIX, hash('sha256', cbor, 'buffer'))
}

/** A well-formed dag-cbor CID of content that is not in the stream (posts written before it started). */
export function randomRecordCid(prng: Prng): string {
  return cidString(DAG_CBOR_PREFIX, randomBytes(prng, 32))
}

/** A well-formed raw CID, as blob refs use. */
export function randomBlobCid(prng: Prng): string {
  return cidString(RAW_PREFIX, randomBytes(prng, 32))
}

/** `did:plc:` followed by 24 base32 characters. */
export function randomPlcDid(prng: Prng): string {
  let id = ''
  for (let i = 0; i < 24; i++) id += BASE32[prng.int(32)]
  return `did:plc:${id}`
}

/**
 * A TID: 53 bits of microsecond timestamp and 10 bits of clock id, in sortable base32 (13 characters, the
 * first one in `2`..`j` because the top bit is zero).
 */
export function tid(timeUs: number, clockId: number): string {
  let out = ''
  let ts = timeUs
  for (let i = 0; i < 11; i++) {
    out = BASE32_SORTABLE[ts % 32] + out
    ts = Math.floor(ts / 32)
  }
  return out + BASE32_SORTABLE[(clockId >>> 5) & 31] + BASE32_SORTABLE[clockId & 31]
}

function randomBytes(prng: Prng, length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i += 4) {
    const word = prng.uint32()
    for (let j = 0; j < 4 && i + j < length; j++) bytes[i + j] = (word >>> (j * 8)) & 0xff
  }
  return bytes
}
