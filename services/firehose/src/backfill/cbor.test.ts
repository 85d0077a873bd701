import { describe, expect, it } from 'vitest'
import { Secp256k1Keypair } from '@atproto/crypto'
import { cborDecode, cborEncode } from '@atproto/lex-cbor'
import { parseCid } from '@atproto/lex-data'
import { lexToJson } from '@atproto/lex-json'
import { MemoryBlockstore, Repo, WriteOpAction, cborToLexRecord } from '@atproto/repo'
import type { RecordCreateOp } from '@atproto/repo'
import { CidLink, cidString, decodeCbor, decodeRecordJson } from './cbor.ts'

/** The library's decoding with CIDs in their string form, to compare with ours. */
function normalise(value: unknown): unknown {
  if (value instanceof CidLink) return { cid: value.toString() }
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') }
  if (Array.isArray(value)) return value.map(normalise)
  if (value && typeof value === 'object') {
    const cid = (value as { asCID?: unknown }).asCID
    if (cid) return { cid: String(value) }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]))
  }
  return value
}

describe('decodeCbor', () => {
  it('decodes every block of a real repo as @atproto/lex-cbor does', async () => {
    const storage = new MemoryBlockstore()
    const writes: RecordCreateOp[] = Array.from({ length: 400 }, (_, i) => ({
      action: WriteOpAction.Create,
      collection: 'app.bsky.feed.post' as RecordCreateOp['collection'],
      rkey: `r${String(i).padStart(6, '0')}` as RecordCreateOp['rkey'],
      record: {
        $type: 'app.bsky.feed.post',
        text: `post ${i} ✨ with ünïcode`,
        langs: ['en'],
        n: i * 1000,
        negative: -i,
        flag: i % 2 === 0,
        createdAt: '2026-01-01T00:00:00.000Z',
      },
    }))
    const repo = await Repo.create(
      storage,
      'did:plc:abcdefghijklmnopqrstuvwx',
      await Secp256k1Keypair.create(),
      writes,
    )
    let n = 0
    for (const { cid, bytes } of storage.blocks.entries()) {
      expect(normalise(decodeCbor(bytes))).toEqual(normalise(cborDecode(bytes)))
      expect(cidString(cid.bytes)).toBe(cid.toString())
      n++
    }
    expect(n).toBeGreaterThan(400)
    expect(repo.cid.toString()).toBe(cidString(repo.cid.bytes))
  })

  it('gives records the JSON form the library gives them: links, blobs, bytes, nesting, unicode', () => {
    const link = parseCid('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm')
    const records = [
      { $type: 'app.bsky.feed.post', text: 'plain', createdAt: '2026-01-01T00:00:00.000Z' },
      {
        $type: 'app.bsky.feed.post',
        text: 'ünï ✨ 🙂',
        langs: ['en', 'de'],
        embed: {
          $type: 'app.bsky.embed.images',
          images: [{ alt: '', image: { $type: 'blob', ref: link, mimeType: 'image/png', size: 123456 } }],
        },
        facets: [{ index: { byteStart: 0, byteEnd: 4 }, features: [] }],
        createdAt: '2026-01-01T00:00:00.000Z',
      },
      {
        $type: 'com.example.bytes',
        data: new Uint8Array([1, 2, 3, 4, 5]),
        empty: new Uint8Array(0),
        n: -70_000,
      },
      { $type: 'com.example.nested', a: { b: { c: [true, false, null, 0, 23, 24, 255, 256, 65_536] } } },
    ]
    for (const record of records) {
      const bytes = cborEncode(record)
      expect(decodeRecordJson(bytes)).toEqual(lexToJson(cborToLexRecord(bytes)))
    }
    expect(() => decodeRecordJson(cborEncode([1, 2]))).toThrow(/not a map/)
    expect(() => decodeRecordJson(cborEncode({ x: 1.5 }))).toThrow()
  })

  it('reads large integers and refuses what a repo block never holds', () => {
    expect(decodeCbor(cborEncode({ a: 2 ** 40, b: [1, 300, 70_000], c: null }))).toEqual({
      a: 2 ** 40,
      b: [1, 300, 70_000],
      c: null,
    })
    const value = cborEncode({ a: 'x' })
    expect(() => decodeCbor(value.subarray(0, value.length - 1))).toThrow(/truncated/)
    expect(() => decodeCbor(Uint8Array.from([...value, 0]))).toThrow(/trailing/)
    expect(() => decodeCbor(Uint8Array.from([0xfb, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow()
    expect(() => decodeCbor(Uint8Array.from([0xc1, 0x00]))).toThrow(/tag/)
  })
})
