import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createBus } from '@sundial/common'
import type { Bus } from '@sundial/common'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { JetstreamServer } from '@sundial/jetstream-server'
import { CHANNELS, FirehoseService, STATS_KEY } from '@sundial/firehose'
import { startRedis } from '../ops/redis.ts'
import type { RunningRedis } from '../ops/redis.ts'
import { testConfig, waitFor } from './helpers.ts'

// With REDIS_URL the firehose's live numbers (events/s by collection, cursor, lag, queue) and its per-batch
// commit notices go through a real redis-server, where another process (the dashboard) reads them.
describe('firehose with Redis', () => {
  let redis: RunningRedis
  let server: JetstreamServer
  let database: TestDatabase
  let reader: Bus

  beforeAll(async () => {
    redis = await startRedis()
    server = await JetstreamServer.create()
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_redis')
    reader = createBus(redis.url)
  })

  afterAll(async () => {
    await reader?.close()
    await server?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
    await redis?.stop()
  })

  it('publishes live numbers and commit notices', async () => {
    const cfg = testConfig({
      jetstreamUrl: server.subscribeUrl,
      databaseUrl: database.url,
      env: { REDIS_URL: redis.url, FIREHOSE_STATS_MS: '200' },
    })
    const commits: Array<{ cursor: number | null; events: number }> = []
    const unsubscribe = await reader.subscribe(CHANNELS.committed, (message) =>
      commits.push(JSON.parse(message)),
    )
    const service = await FirehoseService.create(cfg, { database, serveHttp: false })
    await service.start()

    // A live stream at a steady pace, so the rate is measured while events flow.
    const seen: Array<Record<string, string>> = []
    const sampling = (async () => {
      for (let i = 0; i < 40; i++) {
        seen.push(await reader.getStats(STATS_KEY))
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    })()
    const summary = await server.playSynthetic({
      seed: 5,
      count: 6_000,
      startTimeUs: Date.now() * 1000,
      eventsPerSecond: 2_000,
      batchSize: 100,
    })
    await waitFor(() => service.cursor === summary.lastTimeUs, 'the firehose commits the whole stream')
    await sampling
    await waitFor(
      async () => (await reader.getStats(STATS_KEY)).cursor === String(summary.lastTimeUs),
      'the final cursor is published',
      10_000,
    )
    const final = await reader.getStats(STATS_KEY)
    await service.destroy()
    await unsubscribe()

    const busy = seen.filter((s) => Number(s.eventsPerSec) > 0)
    expect(busy.length).toBeGreaterThan(3)
    expect(busy.some((s) => Number(s['eventsPerSec.app.bsky.feed.like']) > 0)).toBe(true)
    expect(busy.some((s) => Number(s['eventsPerSec.app.bsky.feed.post']) > 0)).toBe(true)
    expect(Number(final.cursorLagSeconds)).toBeGreaterThanOrEqual(0)
    expect(Number(final.cursorLagSeconds)).toBeLessThan(60)
    expect(final.connected).toBe('1')
    expect(final.queueDepth).toBeDefined()

    expect(commits.length).toBeGreaterThan(1)
    expect(commits.reduce((n, c) => n + c.events, 0)).toBe(summary.events)
    // null until every writer lane has committed once
    expect(Math.max(...commits.map((c) => c.cursor ?? 0))).toBe(summary.lastTimeUs)
  })
})
