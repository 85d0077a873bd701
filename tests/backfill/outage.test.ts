import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { backfillStatusFor, enqueueOnboarding, registerLocalUser } from '@sundial/common'
import { createTestDatabase, dropDatabase, startDevNetwork } from '@sundial/devnet'
import type { DevNetwork, TestDatabase } from '@sundial/devnet'
import type { FirehoseService } from '@sundial/firehose'
import {
  backfillConfig,
  expectedTimeline,
  firehoseConfig,
  follow,
  jobCounts,
  startSundial,
  stopPdsHttp,
  timelineUris,
  waitFor,
  writePosts,
  writeReposts,
} from './harness.ts'

async function counterValue(service: FirehoseService, name: string, label?: string): Promise<number> {
  const metric = await service.ctx.registry.getSingleMetric(name)?.get()
  return (metric?.values ?? [])
    .filter((v) => !label || Object.values(v.labels).includes(label))
    .reduce((sum, v) => sum + v.value, 0)
}

describe('backfill while the PDS is down', () => {
  let net: DevNetwork
  let database: TestDatabase
  let sundial: FirehoseService | undefined

  beforeAll(async () => {
    net = await startDevNetwork()
    database = await createTestDatabase(inject('pgAdminUrl'), 'bf_outage')
  })

  afterAll(async () => {
    await sundial?.destroy()
    await net?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('retries with backoff and finishes every job once the PDS is back', async () => {
    const alice = await net.createUser('alice')
    const authors = []
    for (let i = 0; i < 8; i++) {
      const author = await net.createUser(`author${i}`)
      const posts = await writePosts(author, 150)
      await writeReposts(author, posts.slice(0, 5))
      await follow(alice, author.did)
      authors.push(author)
    }
    await net.sync()

    const cfg = firehoseConfig(net, database, {
      backfill: backfillConfig(net.plcUrl, {
        concurrency: 2,
        concurrencyPerHost: 1,
        batchSize: 50,
        retryBaseMs: 300,
        retryMaxMs: 1500,
        maxAttempts: 100,
      }),
    })
    sundial = await startSundial(cfg, database)
    const db = database.db
    await registerLocalUser(db, alice.did)
    await enqueueOnboarding(db, alice.did)

    // Some accounts are in; the PDS goes away with the rest still to fetch.
    await waitFor('a first followed account to be backfilled', async () => (await jobCounts(db)).done >= 2)
    const restart = await stopPdsHttp(net)
    const service = sundial
    await waitFor('failed attempts while the PDS is down', async () => {
      return (await counterValue(service, 'sundial_backfill_failures_total', 'retry')) >= 3
    })
    const during = await jobCounts(db)
    expect(during.failed ?? 0).toBe(0)
    expect((during.pending ?? 0) + (during.running ?? 0)).toBeGreaterThan(0)
    const pendingJob = await db
      .selectFrom('backfillJob')
      .select(['lastError', 'attempts', 'nextAttemptAt'])
      .where('state', '=', 'pending')
      .where('attempts', '>', 0)
      .executeTakeFirst()
    expect(pendingJob?.lastError).toBeTruthy()

    await restart()
    const status = await waitFor(
      'every job to finish after the PDS returned',
      async () => {
        const s = await backfillStatusFor(db, alice.did)
        return s.complete ? s : undefined
      },
      120_000,
    )
    expect(status).toMatchObject({ pending: 0, failed: 0 })
    expect(await jobCounts(db)).toEqual({ done: 9 })
    const expected = await expectedTimeline(net, [alice.did, ...authors.map((a) => a.did)])
    expect(expected).toHaveLength(8 * 155)
    expect(await timelineUris(db, alice.did)).toEqual(expected)
    const retried = await db.selectFrom('backfillJob').select('attempts').where('attempts', '>', 1).execute()
    expect(retried.length).toBeGreaterThan(0)
    expect(await counterValue(sundial, 'sundial_backfill_jobs_finished_total', 'failed')).toBe(0)
  })
})
