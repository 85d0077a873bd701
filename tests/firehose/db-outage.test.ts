import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { JetstreamServer, syntheticEvents } from '@sundial/jetstream-server'
import { FirehoseService } from '@sundial/firehose'
import { expectedState } from './model.ts'
import { diffStates, readIndexedState } from './state.ts'
import { counterValues, testConfig, waitFor } from './helpers.ts'

// Postgres drops the firehose's connections again and again in the middle of its transactions (as on a
// restart or failover): each failed batch is retried, nothing is skipped, and the end state is exact.
describe('firehose when Postgres connections drop', () => {
  const options = { seed: 31, count: 20_000, actors: 600 }
  let server: JetstreamServer
  let database: TestDatabase

  beforeAll(async () => {
    server = await JetstreamServer.create()
    server.loadSynthetic(options)
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_outage')
  })

  afterAll(async () => {
    await server?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('retries the batch and loses nothing', async () => {
    const expected = expectedState(syntheticEvents(options))
    const cfg = testConfig({ jetstreamUrl: server.subscribeUrl, databaseUrl: database.url })
    // Its own pool, so the test's connection survives the terminations.
    const service = await FirehoseService.create(
      { ...cfg, batchSize: 500, queueMax: 2000 },
      { serveHttp: false },
    )
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') })
    await admin.connect()
    let terminated = 0
    try {
      await service.start()
      while (service.cursor !== expected.lastTimeUs && terminated < 8) {
        await new Promise((resolve) => setTimeout(resolve, 250))
        const { rowCount } = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where datname = $1 and application_name = 'sundial-firehose' and state <> 'idle'`,
          [database.name],
        )
        terminated += rowCount ?? 0
      }
      await waitFor(
        () => service.cursor === expected.lastTimeUs,
        'the stream is committed despite the drops',
        120_000,
      )
      const metrics = await service.ctx.registry.metrics()
      expect(terminated).toBeGreaterThan(0)
      expect(
        counterValues(metrics, 'sundial_firehose_commit_errors_total', 'kind').get('transient'),
      ).toBeGreaterThan(0)
      expect(counterValues(metrics, 'sundial_firehose_invalid_events_total', 'reason')).toEqual(new Map())
    } finally {
      await service.destroy()
      await admin.end()
    }
    expect(diffStates(await readIndexedState(database.db), expected.state)).toEqual([])
  })
})
