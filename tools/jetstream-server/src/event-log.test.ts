import { describe, expect, it } from 'vitest'
import { EventLog } from './event-log.ts'

const meta = (timeUs: number, replayable = true) => ({
  timeUs,
  replayable,
  did: 'did:plc:a',
  collection: null,
})
const frameOf = (log: EventLog, seq: number) => EventLog.frame(log.get(seq)!).toString('utf8')

describe('EventLog', () => {
  it('assigns consecutive seqs and returns frames intact', () => {
    const log = new EventLog()
    log.append(meta(10), 'first')
    log.append(meta(20), 'ünïcødé 🎉')
    expect(log.firstSeq).toBe(0)
    expect(log.nextSeq).toBe(2)
    expect(frameOf(log, 0)).toBe('first')
    expect(frameOf(log, 1)).toBe('ünïcødé 🎉')
    expect(log.get(2)).toBeUndefined()
  })

  it('maps a cursor to the first entry at or after it', () => {
    const log = new EventLog()
    for (const t of [10, 20, 20, 30]) log.append(meta(t, t !== 20 || log.size === 1), `t${t}`)
    expect(log.seqForCursor(0)).toBe(0)
    expect(log.seqForCursor(10)).toBe(0)
    expect(log.seqForCursor(11)).toBe(1)
    expect(log.seqForCursor(20)).toBe(1)
    expect(log.seqForCursor(30)).toBe(3)
    expect(log.seqForCursor(31)).toBe(4)
  })

  it('evicts beyond maxEvents and keeps seqs stable across compaction', () => {
    const log = new EventLog({ maxEvents: 1_000 })
    for (let i = 0; i < 200_000; i++) log.append(meta(i + 1), `frame ${i}`)
    expect(log.size).toBe(1_000)
    expect(log.firstSeq).toBe(199_000)
    expect(log.get(198_999)).toBeUndefined()
    expect(frameOf(log, 199_000)).toBe('frame 199000')
    expect(frameOf(log, 199_999)).toBe('frame 199999')
    expect(log.seqForCursor(0)).toBe(199_000)
    expect(log.seqForCursor(199_501)).toBe(199_500)
  })

  it('evicts entries older than maxAgeMs relative to the newest', () => {
    const log = new EventLog({ maxAgeMs: 1 })
    log.append(meta(1_000), 'old')
    log.append(meta(1_500), 'mid')
    log.append(meta(2_100), 'new')
    expect(log.firstSeq).toBe(1)
    expect(frameOf(log, 1)).toBe('mid')
  })

  it('stores frames larger than a slab slot on their own', () => {
    const log = new EventLog()
    const big = 'x'.repeat(1_500_000)
    log.append(meta(1), 'small')
    log.append(meta(2), big)
    log.append(meta(3), 'after')
    expect(frameOf(log, 1)).toBe(big)
    expect(frameOf(log, 2)).toBe('after')
  })
})
