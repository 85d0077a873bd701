import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import pg from 'pg'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { BACKFILL_CHANNEL, enqueueBackfill, enqueueBackfills, enqueueOnboarding } from './queue.ts'
import { backfillStatusFor, markTimelinesComplete } from './status.ts'

const ALICE = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'
const BOB = 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb'
const CAROL = 'did:plc:cccccccccccccccccccccccc'

describe('backfill queue and status', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase(inject('pgAdminUrl'), 'bfq')
  })

  afterAll(async () => {
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  async function follow(author: string, subject: string, rkey: string) {
    await database.db
      .insertInto('follow')
      .values({
        uri: `at://${author}/app.bsky.graph.follow/${rkey}`,
        cid: 'bafyfake',
        authorDid: author,
        subjectDid: subject,
        createdAt: new Date(),
        rev: null,
      })
      .execute()
  }

  async function finish(did: string, state: 'done' | 'failed') {
    await database.db
      .deleteFrom('backfillJob')
      .where('did', '=', did)
      .where('state', 'in', ['done', 'failed'])
      .execute()
    await database.db
      .updateTable('backfillJob')
      .set({ state, finishedAt: new Date() })
      .where('did', '=', did)
      .where('state', 'in', ['pending', 'running'])
      .execute()
  }

  it('merges duplicate requests, notifies the worker, and tracks timeline completeness', async () => {
    const listener = new pg.Client({ connectionString: database.url })
    await listener.connect()
    const notes: string[] = []
    listener.on('notification', (n) => notes.push(n.channel))
    await listener.query(`listen ${BACKFILL_CHANNEL}`)
    try {
      await database.db.insertInto('localUser').values({ did: ALICE, completeSince: new Date() }).execute()
      await follow(ALICE, BOB, '3kaaaaaaaaaa2')
      await follow(ALICE, CAROL, '3kaaaaaaaaaa3')

      await enqueueOnboarding(database.db, ALICE)
      await enqueueOnboarding(database.db, ALICE)
      expect(await enqueueBackfills(database.db, [BOB, CAROL, BOB], 'follow', { follower: ALICE })).toBe(2)
      await enqueueBackfill(database.db, { did: BOB, reason: 'follow', follower: ALICE })
      const jobs = await database.db.selectFrom('backfillJob').select(['did', 'reason', 'state']).execute()
      expect(jobs.sort((a, b) => a.did.localeCompare(b.did))).toEqual([
        { did: ALICE, reason: 'onboard', state: 'pending' },
        { did: BOB, reason: 'follow', state: 'pending' },
        { did: CAROL, reason: 'follow', state: 'pending' },
      ])
      await new Promise((r) => setTimeout(r, 100))
      expect(notes.length).toBeGreaterThanOrEqual(1)

      let status = await backfillStatusFor(database.db, ALICE)
      expect(status).toMatchObject({
        isLocalUser: true,
        complete: false,
        completeSince: null,
        pending: 3,
        failed: 0,
      })

      await finish(ALICE, 'done')
      await finish(BOB, 'done')
      expect(await markTimelinesComplete(database.db, BOB)).toEqual([])
      await finish(CAROL, 'failed')
      expect(await markTimelinesComplete(database.db, CAROL)).toEqual([])
      status = await backfillStatusFor(database.db, ALICE)
      expect(status).toMatchObject({ complete: false, pending: 0, failed: 1 })

      // A retry that succeeds completes the timeline.
      await enqueueBackfill(database.db, { did: CAROL, reason: 'manual' })
      await finish(CAROL, 'done')
      expect(await markTimelinesComplete(database.db, CAROL)).toEqual([ALICE])
      status = await backfillStatusFor(database.db, ALICE)
      expect(status.complete).toBe(true)
      expect(status.completeSince).toBeInstanceOf(Date)

      // A gap makes every timeline that draws on the account incomplete again.
      await enqueueBackfills(database.db, [BOB], 'gap')
      status = await backfillStatusFor(database.db, ALICE)
      expect(status).toMatchObject({ complete: false, completeSince: null, pending: 1 })
      const finished = await sql<{ n: string }>`
        select count(*) as n from backfill_job where state in ('done', 'failed')
      `.execute(database.db)
      expect(Number(finished.rows[0].n)).toBe(3)
    } finally {
      await listener.end()
    }
  })

  it('reports a viewer who is not a local user', async () => {
    const status = await backfillStatusFor(database.db, 'did:plc:zzzzzzzzzzzzzzzzzzzzzzzz')
    expect(status).toMatchObject({ isLocalUser: false, complete: false, pending: 1 })
  })
})
