import { describe, expect, it } from 'vitest'
import { parseBackfillStats, parseFirehoseStats } from './service-stats.ts'

describe('service stats', () => {
  it('reads the firehose rates by collection, cursor and state', () => {
    const s = parseFirehoseStats({
      eventsPerSec: '40.5',
      'eventsPerSec.app.bsky.feed.post': '10',
      'eventsPerSec.app.bsky.feed.like': '30.5',
      'eventsPerSec.identity': '0',
      cursor: '1700000000000000',
      connected: '1',
      paused: '0',
      queueDepth: '7',
      lastError: 'boom',
      lastErrorAt: '1700000000000',
    })
    expect(s.available).toBe(true)
    expect(s.ratesPerSec).toEqual({ post: 10, like: 30.5, identity: 0 })
    expect(s.totalPerSec).toBe(40.5)
    expect(s.cursorUs).toBe(1_700_000_000_000_000)
    expect(s.connected).toBe(true)
    expect(s.paused).toBe(false)
    expect(s.queueDepth).toBe(7)
    expect(s.lastError).toEqual({ at: 1_700_000_000_000, message: 'boom' })
  })

  it('is unavailable when the service publishes nothing', () => {
    expect(parseFirehoseStats({}).available).toBe(false)
    expect(parseBackfillStats({}).depth).toBeNull()
  })
})
