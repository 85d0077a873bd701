import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { createBus, createLogger, createMetricsRegistry } from '@sundial/common'
import type { Db } from '@sundial/common'
import { createTestDatabase, dropDatabase, freePort } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import type { BackfillConfig } from './config.ts'
import { Backfill } from './index.ts'
import { seedLocalUserFollowing } from './test-seed.ts'

const user = `did:plc:${'u'.repeat(24)}`
const followed = `did:plc:${'f'.repeat(24)}`

interface JobRow {
  did: string
  state: string
  reason: string
  attempts: number
}

async function jobs(db: Db): Promise<JobRow[]> {
  const { rows } = await sql<JobRow>`
    select did, state, reason, attempts from backfill_job order by did, id
  `.execute(db)
  return rows
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

describe('accounts whose backfill gave up', () => {
  let database: TestDatabase
  let cfg: BackfillConfig

  beforeAll(async () => {
    database = await createTestDatabase(inject('pgAdminUrl'), 'bf_rounds')
    // PLC on a port nobody listens on: every attempt fails as a transient error.
    cfg = {
      plcUrl: `http://127.0.0.1:${await freePort()}`,
      days: null,
      concurrency: 4,
      concurrencyPerHost: 2,
      maxAttempts: 3,
      retryBaseMs: 20,
      retryMaxMs: 40,
      leaseSeconds: 30,
      fetchTimeoutMs: 2000,
      maxCarBytes: 1024 * 1024,
      batchSize: 500,
      maxBufferedBytes: 8 * 1024 * 1024,
      replayWindowHours: 24,
    }
  })

  afterAll(async () => {
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  function backfill(): Backfill {
    return new Backfill({
      cfg,
      database,
      bus: createBus(undefined),
      registry: createMetricsRegistry(),
      logger: createLogger({ name: 'test', level: 'silent' }),
      maxRecordBytes: 128 * 1024,
      indexScope: 'all',
      statsMs: 60_000,
    })
  }

  /** Runs the service until every job has failed, then a while longer to see that nothing is queued again. */
  async function runUntilFailed(): Promise<JobRow[]> {
    const db = database.db
    const service = backfill()
    await service.start()
    try {
      const settled = async () => {
        const rows = await jobs(db)
        return rows.length > 0 && rows.every((r) => r.state === 'failed')
      }
      await waitUntil('every job to fail', settled)
      // Longer than the whole retry schedule: a requeue would show up as a pending or running job.
      await sleep(1000)
      return await jobs(db)
    } finally {
      await service.stop()
    }
  }

  it('get exactly one more round per restart, never a loop', async () => {
    const db = database.db
    await seedLocalUserFollowing(db, user, followed)

    // First start: both accounts were never queued; each runs its attempts and gives up.
    const first = await runUntilFailed()
    expect(first).toEqual([
      { did: followed, state: 'failed', reason: 'follow', attempts: cfg.maxAttempts },
      { did: user, state: 'failed', reason: 'onboard', attempts: cfg.maxAttempts },
    ])

    // Each restart: one new round for each account (replacing its failed row), then quiet again.
    for (let restart = 0; restart < 2; restart++) {
      const again = await runUntilFailed()
      expect(again).toEqual([
        { did: followed, state: 'failed', reason: 'manual', attempts: cfg.maxAttempts },
        { did: user, state: 'failed', reason: 'manual', attempts: cfg.maxAttempts },
      ])
    }
  })
})
