import { describe, expect, it } from 'vitest'
import { cidForLex, encode } from '@atproto/lex-cbor'
import { parseCid } from '@atproto/lex-data'
import type { LexValue } from '@atproto/lex-data'
import { syntheticEvents } from '../synthetic.ts'
import { DagCborEncoder } from './dag-cbor.ts'

describe('DagCborEncoder', () => {
  it('encodes exactly like @atproto/lex-cbor', () => {
    const encoder = new DagCborEncoder()
    const values = [
      { a: 1, bb: -1, c: 23, d: 24, e: 255, f: 256, g: 65_535, h: 65_536, i: 2 ** 32, j: -(2 ** 40) },
      { é: true, z: false, aa: null, list: ['x', 'ü'.repeat(30), []], nested: { k: 'v'.repeat(300) } },
    ]
    for (const value of values) {
      expect(Buffer.from(encoder.encode(value))).toEqual(Buffer.from(encode(value as LexValue)))
    }
  })

  it('gives synthetic records their real CIDs', async () => {
    const encoder = new DagCborEncoder()
    let checked = 0
    for (const event of syntheticEvents({ seed: 42, count: 3_000 })) {
      if (event.kind !== 'commit' || event.commit.operation === 'delete') continue
      const lex = linksToCids(event.commit.record) as LexValue
      const expected = (await cidForLex(lex)).toString()
      expect(encoder.cid(event.commit.record)).toBe(expected)
      expect(event.commit.cid).toBe(expected)
      checked++
    }
    expect(checked).toBeGreaterThan(2_500)
  })
})

/** atproto JSON → data model: `{"$link"}` objects become CIDs (blob refs stay plain maps, as in a PDS's CBOR). */
function linksToCids(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(linksToCids)
  const object = value as Record<string, unknown>
  if (typeof object.$link === 'string') return parseCid(object.$link)
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, linksToCids(item)]))
}
