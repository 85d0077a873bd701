/** A CID link (dag-cbor tag 42): the CID's binary form, without the multibase prefix byte. */
export class CidLink {
  constructor(readonly bytes: Uint8Array) {}

  toString(): string {
    return cidString(this.bytes)
  }
}

const MAX_DEPTH = 128

/**
 * Decodes one dag-cbor value, as the MST walk needs it: CID links stay bytes (`CidLink`), not CID objects, which
 * cost more to build than the rest of a node. Covers integers, byte and text strings, arrays, maps with text keys
 * (no duplicates), tag 42, booleans and null; anything else (floats, other tags, indefinite lengths) is refused,
 * as are trailing bytes. Throws an Error on malformed input.
 */
export function decodeCbor(bytes: Uint8Array): unknown {
  return decodeWhole(new Reader(bytes, false))
}

/**
 * Decodes a record straight to the JSON form Jetstream sends (what `lexToJson(cborToLexRecord(bytes))` gives):
 * CID links as `{$link}`, byte strings as `{$bytes}` (base64, unpadded). Throws on anything unusual (including
 * floats and integers beyond 2^53): the caller falls back to the library for those.
 */
export function decodeRecordJson(bytes: Uint8Array): Record<string, unknown> {
  const value = decodeWhole(new Reader(bytes, true))
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a map')
  return value as Record<string, unknown>
}

function decodeWhole(reader: Reader): unknown {
  const value = reader.value(0)
  if (reader.pos !== reader.length) throw new Error('trailing bytes after the value')
  return value
}

class Reader {
  pos = 0
  private buf: Buffer

  constructor(
    private bytes: Uint8Array,
    private json: boolean,
  ) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get length(): number {
    return this.bytes.length
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new Error('nested too deep')
    const head = this.byte()
    const major = head >> 5
    const info = head & 0x1f
    switch (major) {
      case 0:
        return this.argument(info)
      case 1:
        return -1 - this.argument(info)
      case 2: {
        const bytes = this.take(this.argument(info))
        if (!this.json) return bytes
        const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
        return { $bytes: base64.replace(/=+$/, '') }
      }
      case 3: {
        const n = this.argument(info)
        const start = this.pos
        this.take(n)
        return this.buf.toString('utf8', start, start + n)
      }
      case 4: {
        const n = this.argument(info)
        const out: unknown[] = []
        for (let i = 0; i < n; i++) out.push(this.value(depth + 1))
        return out
      }
      case 5: {
        const n = this.argument(info)
        const out: Record<string, unknown> = {}
        for (let i = 0; i < n; i++) {
          const key = this.value(depth + 1)
          if (typeof key !== 'string') throw new Error('map key is not a string')
          const value = this.value(depth + 1)
          if (key === '__proto__')
            Object.defineProperty(out, key, { value, enumerable: true, writable: true })
          else out[key] = value
        }
        return out
      }
      case 6: {
        if (this.argument(info) !== 42) throw new Error('unsupported tag')
        const head2 = this.byte()
        if (head2 >> 5 !== 2) throw new Error('bad CID link')
        const inner = this.take(this.argument(head2 & 0x1f))
        if (inner.length < 2 || inner[0] !== 0) throw new Error('bad CID link')
        const cid = inner.subarray(1)
        if (!this.json) return new CidLink(cid)
        // Only CIDv1 has the base32 string form written here.
        if (cid[0] !== 1) throw new Error('not a CIDv1')
        return { $link: cidString(cid) }
      }
      default:
        if (info === 20) return false
        if (info === 21) return true
        if (info === 22) return null
        throw new Error('unsupported simple value')
    }
  }

  private byte(): number {
    if (this.pos >= this.bytes.length) throw new Error('truncated')
    return this.bytes[this.pos++]
  }

  private take(n: number): Uint8Array {
    if (n > this.bytes.length - this.pos) throw new Error('truncated')
    const out = this.bytes.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  private argument(info: number): number {
    if (info < 24) return info
    if (info === 24) return this.byte()
    if (info === 25) return this.byte() * 0x100 + this.byte()
    if (info === 26)
      return this.byte() * 0x1000000 + this.byte() * 0x10000 + this.byte() * 0x100 + this.byte()
    if (info === 27) {
      const high = this.argument(26)
      const low = this.argument(26)
      const n = high * 0x100000000 + low
      if (!Number.isSafeInteger(n)) throw new Error('integer too large')
      return n
    }
    throw new Error('unsupported length')
  }
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** A CID's usual string form (multibase base32, lower case, `b` prefix) from its binary form. */
export function cidString(bytes: Uint8Array): string {
  let out = 'b'
  let bits = 0
  let value = 0
  for (let i = 0; i < bytes.length; i++) {
    value = ((value << 8) | bytes[i]) & 0xfff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += BASE32[(value >> bits) & 31]
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}
