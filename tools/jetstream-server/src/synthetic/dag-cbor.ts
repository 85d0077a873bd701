import { cidForCborBytes } from './identifiers.ts'

/**
 * A small DAG-CBOR encoder for records in atproto JSON form (strings, safe integers, booleans, null, arrays,
 * objects, `{"$link"}` CIDs), used to compute real record CIDs quickly. It writes the canonical encoding:
 * shortest-form lengths, map keys ordered by length then bytes, CIDs as tag 42.
 */
export class DagCborEncoder {
  private buffer = Buffer.allocUnsafe(64 * 1024)
  private offset = 0

  /** The canonical encoding of `value`; the returned bytes are only valid until the next call. */
  encode(value: unknown): Buffer {
    this.offset = 0
    this.writeValue(value)
    return this.buffer.subarray(0, this.offset)
  }

  /** The string CID (CIDv1, dag-cbor, sha2-256) of `value`, as a PDS computes a record's CID. */
  cid(value: unknown): string {
    return cidForCborBytes(this.encode(value))
  }

  private writeValue(value: unknown): void {
    switch (typeof value) {
      case 'string':
        return this.writeString(value)
      case 'number':
        if (!Number.isSafeInteger(value))
          throw new TypeError(`DAG-CBOR records hold integers only, got ${value}`)
        return value >= 0 ? this.writeHead(0, value) : this.writeHead(1, -1 - value)
      case 'boolean':
        return this.writeByte(value ? 0xf5 : 0xf4)
      case 'object':
        if (value === null) return this.writeByte(0xf6)
        if (Array.isArray(value)) {
          this.writeHead(4, value.length)
          for (const item of value) this.writeValue(item)
          return
        }
        return this.writeMap(value as Record<string, unknown>)
      default:
        throw new TypeError(`cannot encode ${typeof value} as DAG-CBOR`)
    }
  }

  private writeMap(map: Record<string, unknown>): void {
    const link = map.$link
    if (typeof link === 'string' && Object.keys(map).length === 1) return this.writeLink(link)
    const keys = Object.keys(map).filter((key) => map[key] !== undefined)
    keys.sort(compareKeys)
    this.writeHead(5, keys.length)
    for (const key of keys) {
      this.writeString(key)
      this.writeValue(map[key])
    }
  }

  /** Tag 42 around the CID bytes with the identity-multibase 0x00 prefix. */
  private writeLink(link: string): void {
    if (link[0] !== 'b') throw new TypeError(`only base32 CIDs are supported, got ${link}`)
    const bytes = base32Decode(link.slice(1))
    this.writeHead(6, 42)
    this.writeHead(2, bytes.length + 1)
    this.ensure(bytes.length + 1)
    this.buffer[this.offset++] = 0
    this.buffer.set(bytes, this.offset)
    this.offset += bytes.length
  }

  private writeString(text: string): void {
    const length = Buffer.byteLength(text, 'utf8')
    this.writeHead(3, length)
    this.ensure(length)
    this.offset += this.buffer.write(text, this.offset, 'utf8')
  }

  private writeHead(major: number, value: number): void {
    this.ensure(9)
    const type = major << 5
    const b = this.buffer
    if (value < 24) {
      b[this.offset++] = type | value
    } else if (value < 0x100) {
      b[this.offset++] = type | 24
      b[this.offset++] = value
    } else if (value < 0x10000) {
      b[this.offset++] = type | 25
      b.writeUInt16BE(value, this.offset)
      this.offset += 2
    } else if (value < 0x100000000) {
      b[this.offset++] = type | 26
      b.writeUInt32BE(value, this.offset)
      this.offset += 4
    } else {
      b[this.offset++] = type | 27
      b.writeUInt32BE(Math.floor(value / 0x100000000), this.offset)
      b.writeUInt32BE(value >>> 0, this.offset + 4)
      this.offset += 8
    }
  }

  private writeByte(byte: number): void {
    this.ensure(1)
    this.buffer[this.offset++] = byte
  }

  private ensure(extra: number): void {
    if (this.offset + extra <= this.buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + extra))
    this.buffer.copy(grown, 0, 0, this.offset)
    this.buffer = grown
  }
}

/** DAG-CBOR map order: shorter keys first, then bytewise. */
function compareKeys(a: string, b: string): number {
  const byteA = Buffer.byteLength(a, 'utf8')
  const byteB = Buffer.byteLength(b, 'utf8')
  if (byteA !== byteB) return byteA - byteB
  // For ASCII keys string order is byte order.
  if (byteA === a.length && byteB === b.length) return a < b ? -1 : a > b ? 1 : 0
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

const BASE32_VALUES = new Map([...'abcdefghijklmnopqrstuvwxyz234567'].map((char, index) => [char, index]))

function base32Decode(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8))
  let buffer = 0
  let bits = 0
  let index = 0
  for (const char of text) {
    const value = BASE32_VALUES.get(char)
    if (value === undefined) throw new TypeError(`invalid base32 character ${char}`)
    buffer = ((buffer << 5) | value) & 0xffff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[index++] = (buffer >>> bits) & 0xff
    }
  }
  return out
}
