import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { enqueueBackfills } from '@sundial/common'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import {
  claimJobs,
  failedTimelineAccounts,
  finishJob,
  nextWakeAt,
  reclaimExpiredLeases,
  releaseJobs,
  retryJob,
  setJobHost,
} from './jobs.ts'
import { seedLocalUserFollowing } from './test-seed.ts'

const did = (n: number) => `did:plc:${'a'.repeat(23)}${'bcdefghijk'[n]}`

describe('backfill job queue', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase(inject('pgAdminUrl'), 'bf_jobs')
  })

  afterAll(async () => {
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('claims due jobs once, skips full hosts and young jobs, retries, reclaims and finishes', async () => {
    const db = database.db
    await enqueueBackfills(db, [did(0), did(1), did(2), did(3)], 'follow')

    // Two workers claiming at once never get the same job.
    const [a, b] = await Promise.all([
      claimJobs(db, 'worker-a', 2, 30, [], 0),
      claimJobs(db, 'worker-b', 2, 30, [], 0),
    ])
    expect(new Set([...a, ...b].map((j) => j.id)).size).toBe(a.length + b.length)
    expect(a.length + b.length).toBe(4)
    for (const j of [...a, ...b]) expect(j.attempts).toBe(1)

    // A failed attempt goes back to the queue, due later; a host at its limit is not claimed.
    const [first, second] = a
    await setJobHost(db, first.id, 'pds.one')
    await retryJob(db, first, 'worker-a', 60_000, 'connection refused')
    await setJobHost(db, second.id, 'pds.two')
    await retryJob(db, second, 'worker-a', 0, 'timeout')
    expect(await claimJobs(db, 'worker-a', 5, 30, ['pds.two'], 0)).toEqual([])
    const again = await claimJobs(db, 'worker-a', 5, 30, [], 0)
    expect(again.map((j) => j.id)).toEqual([second.id])
    expect(again[0]).toMatchObject({ attempts: 2, pdsHost: 'pds.two' })
    // Next wake-up: the earlier of the retry (60 s) and another worker's lease running out (30 s).
    const wake = (await nextWakeAt(db, 'worker-a', 0))!.getTime() - Date.now()
    expect(wake).toBeGreaterThan(20_000)
    expect(wake).toBeLessThanOrEqual(30_000)

    // Interrupted by shutdown: back at once, the attempt not spent.
    await releaseJobs(db, 'worker-a', [again[0].id])
    const released = await claimJobs(db, 'worker-c', 5, 30, [], 0)
    expect(released).toMatchObject([{ id: second.id, attempts: 2 }])

    // A worker that died: its lease runs out and the job is claimable again.
    await sql`update backfill_job set lease_expires_at = now() - interval '1 second' where lease_owner = 'worker-b'`.execute(
      db,
    )
    expect(await reclaimExpiredLeases(db)).toBe(b.length)
    const taken = await claimJobs(db, 'worker-c', 5, 30, [], 0)
    expect(taken.map((j) => j.id).sort()).toEqual(b.map((j) => j.id).sort())

    // Finishing needs the lease: the old holder cannot finish what it lost.
    const lost = await db.transaction().execute((tx) => finishJob(tx, b[0], 'worker-b', { state: 'done' }))
    expect(lost).toBe(false)
    const won = await db
      .transaction()
      .execute((tx) =>
        finishJob(tx, taken[0], 'worker-c', { state: 'done', rev: '3kaaaaaaaaaa2', records: 7 }),
      )
    expect(won).toBe(true)
    const row = await db
      .selectFrom('backfillJob')
      .selectAll()
      .where('id', '=', taken[0].id)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ state: 'done', rev: '3kaaaaaaaaaa2', records: 7, leaseOwner: null })

    // A new request for a finished account is a new job; young jobs wait out the minimum age.
    await enqueueBackfills(db, [row.did], 'manual')
    expect(await claimJobs(db, 'worker-c', 5, 30, [], 60_000)).toEqual([])
    const young = await nextWakeAt(db, 'worker-c', 60_000)
    expect(young!.getTime() - Date.now()).toBeGreaterThan(50_000)
    expect(await claimJobs(db, 'worker-c', 5, 30, [], 0)).toHaveLength(1)
  })

  it('offers failed accounts that local timelines draw on for another round, once', async () => {
    const db = database.db
    const user = did(5)
    const followed = did(6)
    const stranger = did(7)
    await seedLocalUserFollowing(db, user, followed)
    await enqueueBackfills(db, [user, followed, stranger], 'follow')
    const jobs = await claimJobs(db, 'worker-f', 5, 30, [], 0)
    const mine = jobs.filter((j) => [user, followed, stranger].includes(j.did))
    expect(mine).toHaveLength(3)
    for (const job of mine) {
      await db
        .transaction()
        .execute((tx) => finishJob(tx, job, 'worker-f', { state: 'failed', error: 'gone' }))
    }
    expect((await failedTimelineAccounts(db)).sort()).toEqual([user, followed].sort())
    // Once queued again, they are no longer offered.
    await enqueueBackfills(db, [user, followed], 'manual')
    expect(await failedTimelineAccounts(db)).toEqual([])
  })
})
