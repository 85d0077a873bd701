import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { backfillStatusFor, enqueueBackfill, enqueueOnboarding, registerLocalUser } from '@sundial/common'
import { createTestDatabase, dropDatabase, startDevNetwork } from '@sundial/devnet'
import type { DevNetwork, TestDatabase } from '@sundial/devnet'
import { BACKFILL_STATS_KEY } from '@sundial/firehose'
import type { FirehoseService } from '@sundial/firehose'
import {
  expectedTimeline,
  firehoseConfig,
  follow,
  jobCounts,
  startSundial,
  timelineUris,
  waitFor,
  waitForQueueIdle,
  writePosts,
  writeReposts,
} from './harness.ts'

describe('backfill when a local user follows an account', () => {
  let net: DevNetwork
  let database: TestDatabase
  let sundial: FirehoseService | undefined

  beforeAll(async () => {
    net = await startDevNetwork()
    database = await createTestDatabase(inject('pgAdminUrl'), 'bf_follow')
  })

  afterAll(async () => {
    await sundial?.destroy()
    await net?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it("brings every post and repost B wrote before Sundial started into A's timeline, in reference order", async () => {
    const alice = await net.createUser('alice')
    const bob = await net.createUser('bob')
    const carol = await net.createUser('carol')
    const carolPosts = await writePosts(carol, 20)
    const bobPosts = await writePosts(bob, 300)
    const bobReposts = await writeReposts(bob, carolPosts)
    expect(bobReposts).toHaveLength(20)
    await net.sync()

    // Sundial starts live: it never sees B's history on the stream.
    sundial = await startSundial(firehoseConfig(net, database), database)
    const db = database.db
    await registerLocalUser(db, alice.did)
    await enqueueOnboarding(db, alice.did)
    await waitForQueueIdle(db)
    expect(await timelineUris(db, alice.did)).toEqual([])
    expect((await backfillStatusFor(db, alice.did)).complete).toBe(true)

    await follow(alice, bob.did)
    await waitFor('the follow to be indexed', async () => {
      const row = await db
        .selectFrom('follow')
        .select('uri')
        .where('authorDid', '=', alice.did)
        .executeTakeFirst()
      return row !== undefined
    })
    await waitFor(
      'A’s timeline to be complete',
      async () => (await backfillStatusFor(db, alice.did)).complete,
    )

    const expected = await expectedTimeline(net, [alice.did, bob.did])
    expect(expected).toHaveLength(320)
    const actual = await timelineUris(db, alice.did)
    expect(actual).toEqual(expected)

    // Reposts keep their subject, and counts are those of the records, once each.
    const reposts = await sql<{ n: string }>`
      select count(*) as n from timeline_item
      where viewer_did = ${alice.did} and type = 'repost' and originator_did = ${bob.did}
        and post_uri = any(${carolPosts.map((p) => p.uri)}::text[])
    `.execute(db)
    expect(Number(reposts.rows[0].n)).toBe(20)
    const bobAgg = await db
      .selectFrom('actorAgg')
      .selectAll()
      .where('did', '=', bob.did)
      .executeTakeFirstOrThrow()
    expect(bobAgg.postsCount).toBe(300)
    const reposted = await db
      .selectFrom('postAgg')
      .select('repostCount')
      .where(
        'uri',
        'in',
        carolPosts.map((p) => p.uri),
      )
      .execute()
    expect(reposted.map((r) => r.repostCount)).toEqual(Array(20).fill(1))
    expect(await db.selectFrom('post').select('uri').where('authorDid', '=', bob.did).execute()).toHaveLength(
      bobPosts.length,
    )

    const counts = await jobCounts(db)
    expect(counts).toEqual({ done: 2 })
    const bobJob = await db
      .selectFrom('backfillJob')
      .selectAll()
      .where('did', '=', bob.did)
      .executeTakeFirstOrThrow()
    expect(bobJob).toMatchObject({
      reason: 'follow',
      state: 'done',
      records: 320,
      pdsHost: new URL(net.pdsUrl).host,
    })

    // Asking again for an account already complete at its current revision fetches nothing.
    await enqueueBackfill(db, { did: bob.did, reason: 'manual' })
    await waitForQueueIdle(db)
    const again = await db
      .selectFrom('backfillJob')
      .selectAll()
      .where('did', '=', bob.did)
      .executeTakeFirstOrThrow()
    expect(again).toMatchObject({ reason: 'manual', state: 'done', records: 0, rev: bobJob.rev })
    const metrics = await sundial.ctx.registry.getSingleMetricAsString('sundial_backfill_jobs_finished_total')
    expect(metrics).toMatch(/outcome="skipped"} 1/)

    // The operator's view: queue numbers on the bus for the dashboard, and the gauges behind /metrics.
    const service = sundial
    const stats = await waitFor('backfill stats on the bus', async () => {
      const s = await service.ctx.bus.getStats(BACKFILL_STATS_KEY)
      return s.done === '2' ? s : undefined
    })
    expect(stats).toMatchObject({ pending: '0', running: '0', failed: '0', inFlight: '0', perHost: '{}' })
    const gauge = await sundial.ctx.registry.getSingleMetricAsString('sundial_backfill_jobs')
    expect(gauge).toMatch(/sundial_backfill_jobs\{state="done"} 2/)

    // The worker's LISTEN connection dies: it reconnects, and a job queued afterwards still wakes it.
    const killed = await sql<{ pid: number }>`
      select pg_terminate_backend(pid) as pid from pg_stat_activity
      where datname = current_database() and query like 'listen %'
    `.execute(db)
    expect(killed.rows).toHaveLength(1)
    await waitFor('the worker to listen again', async () => {
      const { rows } = await sql`
        select 1 from pg_stat_activity where datname = current_database() and query like 'listen %'
      `.execute(db)
      return rows.length === 1
    })
    await enqueueBackfill(db, { did: bob.did, reason: 'manual' })
    await waitForQueueIdle(db, 10_000)
  })
})
