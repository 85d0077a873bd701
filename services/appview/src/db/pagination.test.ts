import { describe, expect, it } from 'vitest'
import { decodeTimeCid, encodeTimeCid, pageCursor } from './pagination.ts'

describe('time/cid keyset cursors', () => {
  it('round-trips the reference format', () => {
    const key = { time: new Date('2026-01-02T03:04:05.678Z'), cid: 'bafyreiabc' }
    const cursor = encodeTimeCid(key)
    expect(cursor).toBe(`${key.time.getTime()}__bafyreiabc`)
    expect(decodeTimeCid(cursor)).toEqual({ ok: true, key })
  })

  it('treats an absent cursor as the first page', () => {
    expect(decodeTimeCid(undefined)).toEqual({ ok: true, key: undefined })
    expect(decodeTimeCid('')).toEqual({ ok: true, key: undefined })
  })

  it('returns malformed cursors as errors, never throws', () => {
    for (const cursor of [
      'x',
      '1__',
      '__c',
      '1__c__d',
      'abc__c',
      '1.5__c',
      '1__c d',
      '99999999999999999__c',
    ]) {
      expect(decodeTimeCid(cursor), cursor).toMatchObject({ ok: false, reason: 'Malformed cursor' })
    }
  })

  it('gives a next cursor only after a full page', () => {
    const rows = [1, 2, 3].map((n) => ({ time: new Date(n), cid: `c${n}` }))
    expect(pageCursor(rows, 3, (r) => r)).toBe('3__c3')
    expect(pageCursor(rows, 4, (r) => r)).toBeUndefined()
    expect(pageCursor([], 4, (r: { time: Date; cid: string }) => r)).toBeUndefined()
  })
})
