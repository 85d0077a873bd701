import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { DbTx } from '@sundial/common'
import type { TestDatabase } from '@sundial/devnet'
import { planBatch } from '../../services/firehose/src/batch/plan.ts'
import { applyPlan } from '../../services/firehose/src/batch/writer.ts'
import { decodedStreamWithLocalUsers } from './helpers.ts'

// Every statement the firehose runs per batch must reach its rows through an index: a table scan is invisible on a
// test's few thousand rows and fatal on a production table of millions, where it would run once per batch.
describe('firehose write path uses indexes', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_index_use')
  })

  afterAll(async () => {
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('scans no table while indexing a stream of every kind of event', async () => {
    // Local users among the busiest authors: their follows and the posts of who they follow run the timeline paths.
    const stream = { seed: 7, count: 8_000, actors: 150 }
    const events = await decodedStreamWithLocalUsers(database.db, stream, 3)

    const scans: Array<{ table: string; scans: number; batch: number }> = []
    const applied = { postDeletes: 0, likeDeletes: 0, repostDeletes: 0, followDeletes: 0, profileDeletes: 0 }
    for (let start = 0, batch = 0; start < events.length; start += 400, batch++) {
      const plan = planBatch(events.slice(start, start + 400))
      applied.postDeletes += plan.posts.remove.length
      applied.likeDeletes += plan.likes.remove.length
      applied.repostDeletes += plan.reposts.remove.length
      applied.followDeletes += plan.follows.remove.length
      applied.profileDeletes += plan.profiles.remove.length
      await database.db.transaction().execute(async (tx) => {
        // Small test tables would make a scan the cheaper plan; forbidding it leaves a scan only where no index fits.
        await sql`set local enable_seqscan = off`.execute(tx)
        // The backend's counts not yet reported include earlier transactions: compare before and after.
        const before = await seqScans(tx)
        await applyPlan(tx, plan)
        for (const [table, n] of await seqScans(tx)) {
          if (n > (before.get(table) ?? 0)) scans.push({ table, scans: n - (before.get(table) ?? 0), batch })
        }
      })
    }

    // The stream exercised every removal path and the timelines.
    for (const [path, n] of Object.entries(applied)) expect(n, path).toBeGreaterThan(0)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from timeline_item`.execute(
      database.db,
    )
    expect(rows[0].n).toBeGreaterThan(0)
    expect(scans).toEqual([])
  })
})

async function seqScans(tx: DbTx): Promise<Map<string, number>> {
  const { rows } = await sql<{ relname: string; seqScan: string }>`
    select relname, seq_scan from pg_stat_xact_user_tables
  `.execute(tx)
  return new Map(rows.map((r) => [r.relname, Number(r.seqScan)]))
}
