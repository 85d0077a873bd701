import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
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
  timelineUris,
  waitFor,
  writePosts,
  writeReposts,
} from './harness.ts'
import type { Written } from './harness.ts'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** The firehose service as deployed: its own process, configured by environment variables. */
function spawnFirehose(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/firehose/src/bin.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  child.stderr!.resume()
  return child
}

describe('Sundial killed in the middle of a backfill', () => {
  let net: DevNetwork
  let database: TestDatabase
  let child: ChildProcess | undefined
  let sundial: FirehoseService | undefined

  beforeAll(async () => {
    net = await startDevNetwork()
    database = await createTestDatabase(inject('pgAdminUrl'), 'bf_restart')
  })

  afterAll(async () => {
    child?.kill('SIGKILL')
    await sundial?.destroy()
    await net?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('resumes after kill -9 and ends with every record exactly once', async () => {
    const alice = await net.createUser('alice')
    const subjects: Written[] = await writePosts(alice, 10)
    const authors = []
    for (let i = 0; i < 10; i++) {
      const author = await net.createUser(`author${i}`)
      await writePosts(author, 300)
      await writeReposts(author, subjects)
      await follow(alice, author.did)
      authors.push(author)
    }
    await net.sync()

    child = spawnFirehose({
      DATABASE_URL: database.url,
      JETSTREAM_URL: net.jetstream.subscribeUrl,
      PLC_URL: net.plcUrl,
      PORT: '0',
      LOG_LEVEL: 'silent',
      BACKFILL_DAYS: 'all',
      BACKFILL_CONCURRENCY: '2',
      BACKFILL_CONCURRENCY_PER_HOST: '2',
      BACKFILL_BATCH_SIZE: '20',
      BACKFILL_LEASE_SECONDS: '2',
    })
    const db = database.db
    await registerLocalUser(db, alice.did)
    await enqueueOnboarding(db, alice.did)

    // Kill it while an account is half written: some of its posts are in, its job still running.
    await waitFor(
      'an account to be part-way through its backfill',
      async () => {
        const { rows } = await sql<{ did: string }>`
          select j.did from backfill_job j
          where j.state = 'running' and j.reason = 'follow'
            and exists (select 1 from post p where p.author_did = j.did)
        `.execute(db)
        return rows.length > 0 && (await jobCounts(db)).done >= 2
      },
      90_000,
      // An account's few hundred records are written in a fraction of a second: look often enough to see one
      // half-way.
      5,
    )
    child.kill('SIGKILL')
    await new Promise((resolve) => child!.once('exit', resolve))
    child = undefined
    const interrupted = await db
      .selectFrom('backfillJob')
      .select(['did', 'leaseOwner'])
      .where('state', '=', 'running')
      .execute()
    expect(interrupted.length).toBeGreaterThan(0)

    // A new process (a different worker) takes the orphaned jobs over once their leases run out.
    sundial = await startSundial(
      firehoseConfig(net, database, {
        backfill: backfillConfig(net.plcUrl, { leaseSeconds: 2, batchSize: 20 }),
      }),
      database,
    )
    await waitFor(
      'Alice’s timeline to be complete',
      async () => (await backfillStatusFor(db, alice.did)).complete,
      120_000,
    )

    expect(await jobCounts(db)).toEqual({ done: 11 })
    for (const { did } of interrupted) {
      const job = await db
        .selectFrom('backfillJob')
        .selectAll()
        .where('did', '=', did)
        .executeTakeFirstOrThrow()
      expect(job.attempts).toBeGreaterThanOrEqual(2)
      expect(job.leaseOwner).toBeNull()
    }
    // Exactly once: rows, the counts derived from them, and timeline entries.
    for (const author of authors) {
      const posts = await db.selectFrom('post').select('uri').where('authorDid', '=', author.did).execute()
      expect(posts).toHaveLength(300)
      const agg = await db
        .selectFrom('actorAgg')
        .selectAll()
        .where('did', '=', author.did)
        .executeTakeFirstOrThrow()
      expect(agg.postsCount).toBe(300)
    }
    const repostCounts = await db
      .selectFrom('postAgg')
      .select('repostCount')
      .where(
        'uri',
        'in',
        subjects.map((s) => s.uri),
      )
      .execute()
    expect(repostCounts.map((r) => r.repostCount)).toEqual(Array(10).fill(10))
    const expected = await expectedTimeline(net, [alice.did, ...authors.map((a) => a.did)])
    expect(expected).toHaveLength(10 + 10 * 310)
    expect(await timelineUris(db, alice.did)).toEqual(expected)
  })
})
