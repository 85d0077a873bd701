import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { backfillStatusFor, enqueueOnboarding, registerLocalUser } from '@sundial/common'
import { createTestDatabase, dropDatabase, startDevNetwork } from '@sundial/devnet'
import type { DevNetwork, TestDatabase } from '@sundial/devnet'
import type { FirehoseService } from '@sundial/firehose'
import { JetstreamServer } from '@sundial/jetstream-server'
import {
  deleteRecord,
  expectedTimeline,
  firehoseConfig,
  follow,
  startSundial,
  timelineUris,
  waitFor,
  waitForFirehose,
  writePosts,
  writeReposts,
} from './harness.ts'

describe('gap recovery', () => {
  let net: DevNetwork
  let database: TestDatabase
  let sundial: FirehoseService | undefined
  let laterJetstream: JetstreamServer | undefined

  beforeAll(async () => {
    net = await startDevNetwork()
    database = await createTestDatabase(inject('pgAdminUrl'), 'bf_gap')
  })

  afterAll(async () => {
    await sundial?.destroy()
    await laterJetstream?.close()
    await net?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('re-backfills local users and their follows when the cursor is older than the replay window', async () => {
    const alice = await net.createUser('alice')
    const bob = await net.createUser('bob')
    const carol = await net.createUser('carol')
    await bob.agent.upsertProfile(() => ({ displayName: 'Bob' }))
    const bobPosts = await writePosts(bob, 50)
    await follow(alice, bob.did)
    await net.sync()

    sundial = await startSundial(firehoseConfig(net, database), database)
    const db = database.db
    await registerLocalUser(db, alice.did)
    await enqueueOnboarding(db, alice.did)
    await waitFor(
      'Alice’s timeline to be complete',
      async () => (await backfillStatusFor(db, alice.did)).complete,
    )
    // Something live, so a cursor is stored.
    await writePosts(alice, 1)
    await waitForFirehose(net, sundial)
    expect(await timelineUris(db, alice.did)).toHaveLength(51)
    await sundial.destroy()
    sundial = undefined

    // Sundial is down for two days: everything in between is past Jetstream's replay window.
    await bob.agent.upsertProfile(() => ({ displayName: 'Robert' }))
    const newPosts = await writePosts(bob, 30)
    for (const post of bobPosts.slice(0, 5)) await deleteRecord(bob, post.uri)
    const carolPosts = await writePosts(carol, 15)
    await writeReposts(bob, carolPosts.slice(0, 3))
    await follow(alice, carol.did)
    await writePosts(alice, 4)
    await net.sync()
    // The resume point (the writer lanes' own rows are reset from it at start-up).
    const moved = await sql`
      update cursor set time_us = ${(Date.now() - 48 * 3_600_000) * 1000} where name = 'firehose'
    `.execute(db)
    expect(Number(moved.numAffectedRows)).toBe(1)
    // The Jetstream Sundial comes back to only holds what happens from now on.
    const seq = await net.network.pds.ctx.sequencer.curr()
    laterJetstream = await JetstreamServer.create()
    await laterJetstream.attachPds(net.pdsUrl, { cursor: seq ?? 0 })

    sundial = await startSundial(
      firehoseConfig(net, database, { jetstreamUrl: laterJetstream.subscribeUrl }),
      database,
    )
    const recoveries = await sundial.ctx.registry
      .getSingleMetric('sundial_backfill_gap_recoveries_total')
      ?.get()
    expect(recoveries?.values).toEqual([{ labels: { trigger: 'startup' }, value: 1 }])
    expect((await backfillStatusFor(db, alice.did)).complete).toBe(false)
    await waitFor(
      'Alice’s timeline to be complete again',
      async () => (await backfillStatusFor(db, alice.did)).complete,
      90_000,
    )

    const expected = await expectedTimeline(net, [alice.did, bob.did, carol.did])
    expect(expected).toHaveLength(50 - 5 + 30 + 3 + 15 + 1 + 4)
    expect(await timelineUris(db, alice.did)).toEqual(expected)
    for (const p of newPosts) expect(expected).toContain(p.uri)
    const stale = await db
      .selectFrom('post')
      .select('uri')
      .where(
        'uri',
        'in',
        bobPosts.slice(0, 5).map((p) => p.uri),
      )
      .execute()
    expect(stale).toEqual([])
    const profile = await db
      .selectFrom('profile')
      .select('displayName')
      .where('did', '=', bob.did)
      .executeTakeFirst()
    expect(profile?.displayName).toBe('Robert')
    const agg = await db
      .selectFrom('actorAgg')
      .selectAll()
      .where('did', '=', bob.did)
      .executeTakeFirstOrThrow()
    expect(agg.postsCount).toBe(75)
    const reasons = await db.selectFrom('backfillJob').select(['did', 'reason']).execute()
    expect(reasons.find((r) => r.did === bob.did)?.reason).toBe('gap')
    expect(reasons.find((r) => r.did === alice.did)?.reason).toBe('gap')
  })
})
