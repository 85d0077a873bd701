import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { WRITERS_LOCK_KEY } from '@sundial/common'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { JetstreamServer, syntheticEvents } from '@sundial/jetstream-server'
import { FirehoseService } from '@sundial/firehose'
import { expectedState } from './model.ts'
import { diffStates, readIndexedState } from './state.ts'
import { testConfig, waitFor } from './helpers.ts'

// The stream arrives much faster than Postgres accepts it (here: not at all, while another transaction holds the
// writers' lock). Memory stays bounded: reading from the socket pauses at the queue limit, the server holds the
// rest, and once writes flow again everything is committed.
describe('firehose backpressure', () => {
  const options = { seed: 3, count: 30_000, actors: 800 }
  let server: JetstreamServer
  let database: TestDatabase

  beforeAll(async () => {
    server = await JetstreamServer.create({ highWaterMarkBytes: 256 * 1024 })
    server.loadSynthetic(options)
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_backpressure')
  })

  afterAll(async () => {
    await server?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('pauses the socket at the queue limit and resumes once writes drain', async () => {
    const expected = expectedState(syntheticEvents(options))
    const queueMax = 1_000
    const cfg = testConfig({ jetstreamUrl: server.subscribeUrl, databaseUrl: database.url })
    const service = await FirehoseService.create(
      { ...cfg, queueMax, batchSize: 250 },
      { database, serveHttp: false },
    )

    let peak = 0
    const sampler = setInterval(() => (peak = Math.max(peak, service.queueDepth)), 2)
    let releaseLock!: () => void
    const released = new Promise<void>((resolve) => (releaseLock = resolve))
    // Another writer (as a backfill would) holds the lock: our writer cannot commit meanwhile.
    const blocker = database.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(${WRITERS_LOCK_KEY})`.execute(tx)
      await released
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    await service.start()

    await waitFor(() => service.queueDepth >= queueMax, 'the queue fills up', 20_000)
    // While stuck, reading stays paused: the queue does not grow past its limit (give or take frames already
    // read off the socket), and the server is left holding the backlog.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const stuckAt = service.queueDepth
    const stats = server.clientStats()
    releaseLock()
    await blocker

    await waitFor(
      () => service.cursor === expected.lastTimeUs,
      'everything is committed after the stall',
      120_000,
    )
    clearInterval(sampler)
    const metrics = await service.ctx.registry.metrics()
    await service.destroy()

    expect(stuckAt).toBeGreaterThanOrEqual(queueMax)
    expect(peak).toBeLessThan(queueMax + 500)
    expect(stats).toHaveLength(1)
    expect(stats[0].waitingForDrain).toBe(true)
    expect(stats[0].pendingEntries).toBeGreaterThan(10_000)
    expect(Number(/^sundial_firehose_socket_pauses_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0)
    expect(diffStates(await readIndexedState(database.db), expected.state)).toEqual([])
  })
})
