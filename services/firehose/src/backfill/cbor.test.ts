import { describe, expect, it } from 'vitest'
import { Secp256k1Keypair } from '@atproto/crypto'
import { cborDecode, cborEncode } from '@atproto/lex-cbor'
import { MemoryBlockstore, Repo, WriteOpAction } from '@atproto/repo'
import type { RecordCreateOp } from '@atproto/repo'
import { CidLink, cidString, decodeCbor } from './cbor.ts'

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
