// Backfill throughput: accounts' whole repos fetched from a local PDS (com.atproto.sync.getRepo, verified CAR; asked
// for uncompressed, as the backfill does for any PDS on a loopback or private address, see pds-client.ts),
// written through the firehose's write path into a fresh Postgres, with a local user following every account so
// timeline fan-out runs as in production. Two runs: one account of 10,000 records alone, then 100 accounts of
// 1,000 records queued at once.
//
//   npm run bench:backfill
//   BENCH_BIG=10000 BENCH_ACCOUNTS=100 BENCH_RECORDS=1000 npm run bench:backfill
//
// BACKFILL_CONCURRENCY / BACKFILL_CONCURRENCY_PER_HOST / BACKFILL_BATCH_SIZE apply as in the service (defaults
// 8 / 4 / 2000). The local network (PLC + PDS) runs in a child process (this file with --serve), as a PDS is
// another machine in production; seeding it (applyWrites in batches of 200) is not timed, and the clock starts
// only once the PDS has finished its background work. Each run starts a fresh network and a fresh Postgres:
// nothing is kept between runs.
//
// Each clock runs from enqueueing the jobs until every job is done; a job is marked done only after its records
// committed. The rows are then counted in post/repost/like/follow/profile (and the viewer's timeline) and must be
// exactly what was seeded, or the run fails. BENCH_PG_STATS=1 also prints Postgres's time per statement
// (pg_stat_statements), and a worker CPU profile comes from running this file under `node --cpu-prof`.
//
// Last stdout line: {"records":N,"recordsPerSec":X}, X being the slower of the two runs.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { AtpAgent } from '@atproto/api'
import { sql } from 'kysely'
import {
  createBus,
  createLogger,
  createMetricsRegistry,
  enqueueBackfills,
  registerLocalUser,
} from '@sundial/common'
import { hashedIn } from '@sundial/common'
import type { Db } from '@sundial/common'
import { StatementStats, createTestDatabase, freePort, startTestCluster } from '@sundial/devnet'
import { Backfill, readBackfillConfig } from '@sundial/firehose'

const BIG = intEnv('BENCH_BIG', 10_000)
const ACCOUNTS = intEnv('BENCH_ACCOUNTS', 100)
const RECORDS = intEnv('BENCH_RECORDS', 1_000)
const PG_STATS = process.env.BENCH_PG_STATS === '1'

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  return raw ? Number(raw) : fallback
}

function log(message: string) {
  process.stderr.write(`[bench:backfill] ${message}\n`)
}

/** A realistic mix for an account's repo: mostly posts, then likes, reposts and follows, and a profile. */
function mix(total: number, canRefer: boolean) {
  const reposts = canRefer ? Math.round(total * 0.1) : 0
  const likes = canRefer ? Math.round(total * 0.25) : 0
  const follows = Math.round(total * 0.05)
  return { posts: total - reposts - likes - follows - 1, reposts, likes, follows }
}

const SUBJECT_DIDS = Array.from(
  { length: 500 },
  (_, i) =>
    `did:plc:${String(i)
      .padStart(24, 'a')
      .replace(/[0-9]/g, (d) => 'bcdefghijk'[Number(d)])}`,
)

async function seed(user: SeedUser, total: number, subjects: Array<{ uri: string; cid: string }>) {
  const { posts, reposts, likes, follows } = mix(total, subjects.length > 0)
  const start = Date.now() - 20 * 86_400_000
  let n = 0
  const at = () => new Date(start + n++ * 1000).toISOString()
  const writes: Array<{ collection: string; value: Record<string, unknown>; rkey?: string }> = [
    {
      collection: 'app.bsky.actor.profile',
      rkey: 'self',
      value: { $type: 'app.bsky.actor.profile', displayName: user.handle },
    },
  ]
  for (let i = 0; i < posts; i++) {
    writes.push({
      collection: 'app.bsky.feed.post',
      value: {
        $type: 'app.bsky.feed.post',
        text: `post ${i} by ${user.handle}: a few words of text`,
        langs: ['en'],
        createdAt: at(),
      },
    })
  }
  for (let i = 0; i < reposts; i++) {
    const subject = subjects[i % subjects.length]
    writes.push({
      collection: 'app.bsky.feed.repost',
      value: { $type: 'app.bsky.feed.repost', subject, createdAt: at() },
    })
  }
  for (let i = 0; i < likes; i++) {
    const subject = subjects[(i * 7) % subjects.length]
    writes.push({
      collection: 'app.bsky.feed.like',
      value: { $type: 'app.bsky.feed.like', subject, createdAt: at() },
    })
  }
  for (let i = 0; i < follows; i++) {
    const subject = SUBJECT_DIDS[i % SUBJECT_DIDS.length]
    writes.push({
      collection: 'app.bsky.graph.follow',
      value: { $type: 'app.bsky.graph.follow', subject, createdAt: at() },
    })
  }
  const created: Array<{ uri: string; cid: string }> = []
  for (let i = 0; i < writes.length; i += 200) {
    const { data } = await user.agent.com.atproto.repo.applyWrites({
      repo: user.did,
      writes: writes.slice(i, i + 200).map((w) => ({
        $type: 'com.atproto.repo.applyWrites#create' as const,
        collection: w.collection,
        rkey: w.rkey,
        value: w.value,
      })),
    })
    for (const r of data.results ?? []) {
      const { uri, cid } = r as { uri: string; cid: string }
      created.push({ uri, cid })
    }
  }
  return created.filter((r) => r.uri.includes('/app.bsky.feed.post/'))
}

interface RowCounts {
  posts: number
  reposts: number
  likes: number
  follows: number
  profiles: number
}

/** What `accounts` accounts seeded with `total` records each hold, per table. */
function seededRows(total: number, accounts: number): RowCounts {
  const { posts, reposts, likes, follows } = mix(total, true)
  return {
    posts: posts * accounts,
    reposts: reposts * accounts,
    likes: likes * accounts,
    follows: follows * accounts,
    profiles: accounts,
  }
}

async function countRows(db: Db, dids: string[]): Promise<RowCounts> {
  const { rows } = await sql<Record<keyof RowCounts, string>>`
    select
      (select count(*) from post where author_did = any(${dids}::text[])) as posts,
      (select count(*) from repost where ${hashedIn('author_did', dids)}) as reposts,
      (select count(*) from "like" where ${hashedIn('author_did', dids)}) as likes,
      (select count(*) from follow where author_did = any(${dids}::text[])) as follows,
      (select count(*) from profile where did = any(${dids}::text[])) as profiles
  `.execute(db)
  const r = rows[0]
  return {
    posts: Number(r.posts),
    reposts: Number(r.reposts),
    likes: Number(r.likes),
    follows: Number(r.follows),
    profiles: Number(r.profiles),
  }
}

/** The records now in the tables, which must be exactly the seeded ones; their number. */
async function verifyRows(db: Db, dids: string[], perAccount: number): Promise<number> {
  const found = await countRows(db, dids)
  const seeded = seededRows(perAccount, dids.length)
  if (JSON.stringify(found) !== JSON.stringify(seeded)) {
    throw new Error(`stored rows ${JSON.stringify(found)} differ from the seeded ${JSON.stringify(seeded)}`)
  }
  return found.posts + found.reposts + found.likes + found.follows + found.profiles
}

async function waitDone(db: Db, dids: string[]): Promise<number> {
  for (;;) {
    const { rows } = await sql<{ done: string; failed: string; records: string }>`
      select count(*) filter (where state = 'done') as done, count(*) filter (where state = 'failed') as failed,
        coalesce(sum(records) filter (where state = 'done'), 0) as records
      from backfill_job where did = any(${dids}::text[])
    `.execute(db)
    const r = rows[0]
    if (Number(r.failed) > 0) throw new Error('a backfill job failed')
    if (Number(r.done) === dids.length) return Number(r.records)
    await sleep(20)
  }
}

interface Served {
  plcUrl: string
  big: string
  small: string[]
}

interface SeedUser {
  did: string
  handle: string
  agent: AtpAgent
}

const SEED_CONCURRENCY = 4

/**
 * Child role: a PLC directory and a PDS (dev-env, data on tmpfs, no Jetstream relay: nothing but the backfill's
 * reads reaches it once seeded), seeded; prints where it is and serves until SIGTERM.
 */
async function serve(): Promise<void> {
  const workDir = await mkdtemp(
    path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'sundial-bench-'),
  )
  // dev-env puts the PDS's data under os.tmpdir(): keep it in our directory, removed on close.
  process.env.TMPDIR = workDir
  const { TestNetworkNoAppView } = await import('@atproto/dev-env')
  const net = await TestNetworkNoAppView.create({
    pds: { blobstoreDiskTmpLocation: path.join(workDir, 'blob-tmp') },
  })
  const createUser = async (name: string): Promise<SeedUser> => {
    const agent = new AtpAgent({ service: net.pds.url })
    const { data } = await agent.createAccount({
      handle: `${name}.test`,
      email: `${name}@test.invalid`,
      password: 'bench-password',
    })
    return { did: data.did, handle: data.handle, agent }
  }
  log(
    `seeding one account of ${BIG} records and ${ACCOUNTS} of ${RECORDS} ` +
      `(applyWrites, 200 a call, ${SEED_CONCURRENCY} accounts at a time)`,
  )
  const seedStarted = performance.now()
  const anchor = await createUser('anchor')
  const subjects = await seed(anchor, 101, [])
  const big = await createUser('big')
  await seed(big, BIG, subjects)
  const small: string[] = new Array<string>(ACCOUNTS)
  let next = 0
  const seeder = async () => {
    for (let i = next++; i < ACCOUNTS; i = next++) {
      const user = await createUser(`acct${i}`)
      await seed(user, RECORDS, subjects)
      small[i] = user.did
    }
  }
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, seeder))
  // Whatever the PDS does in the background after a write is finished before the clock starts.
  await net.processAll()
  log(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`)
  const served: Served = { plcUrl: net.plc.url, big: big.did, small }
  process.stdout.write(JSON.stringify(served) + '\n')
  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= net
      .close()
      .then(() => rm(workDir, { recursive: true, force: true }))
      .then(() => process.exit(0)))
  process.on('SIGTERM', () => void close())
  // Our stdin is the parent's pipe: it ends when the parent exits, however it exits.
  process.stdin.on('end', () => void close())
  process.stdin.resume()
}

/** CPU seconds (user + system) of processes, children already reaped included, from /proc. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      // utime, stime, cutime, cstime: fields 14–17 of stat, counted here from the state field (3).
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
    } catch {
      // exited
    }
  }
  return ticks / 100
}

/** The Postgres cluster listening on `port`: its postmaster and the backends it forked. */
function postgresPids(port: number): number[] {
  const pids = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
  const postmaster = pids.find((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      return cmd.includes('postgres') && cmd.includes(`-p\0${port}\0`)
    } catch {
      return false
    }
  })
  if (postmaster === undefined) return []
  return pids.filter((pid) => {
    try {
      const parent = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]
      return pid === postmaster || parent === String(postmaster)
    } catch {
      return false
    }
  })
}

interface CpuSplit {
  worker: number
  pds: number
  postgres: number
}

function cpuNow(networkPid: number, pgPort: number): CpuSplit {
  const own = process.cpuUsage()
  return {
    worker: (own.user + own.system) / 1e6,
    pds: cpuSeconds([networkPid]),
    postgres: cpuSeconds(postgresPids(pgPort)),
  }
}

function cpuSince(before: CpuSplit, after: CpuSplit): CpuSplit {
  return {
    worker: round(after.worker - before.worker),
    pds: round(after.pds - before.pds),
    postgres: round(after.postgres - before.postgres),
  }
}

async function startNetworkProcess(): Promise<{ served: Served; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], {
    env: process.env,
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const lines = createInterface({ input: child.stdout! })
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve)
    void exited.then(() => reject(new Error('the network process exited before it was ready')))
  })
  return {
    served: JSON.parse(first) as Served,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}

async function main() {
  const network = await startNetworkProcess()
  const pgPort = await freePort()
  const cluster = await startTestCluster(pgPort, { statementStats: PG_STATS })
  const database = await createTestDatabase(cluster.adminUrl, 'bench_backfill')
  let backfill: Backfill | undefined
  try {
    const { plcUrl, big, small } = network.served
    const db = database.db
    const cfg = readBackfillConfig({ ...process.env, PLC_URL: plcUrl, BACKFILL_DAYS: 'all' })!
    log(`concurrency ${cfg.concurrency}, per host ${cfg.concurrencyPerHost}, batch ${cfg.batchSize}`)
    backfill = new Backfill({
      cfg,
      database,
      bus: createBus(undefined),
      registry: createMetricsRegistry(),
      logger: createLogger({ name: 'bench-backfill', level: process.env.LOG_LEVEL ?? 'warn' }),
      maxRecordBytes: 128 * 1024,
      indexScope: 'all',
      statsMs: 1000,
    })
    await backfill.start()
    // A local user following every account, so backfilled posts and reposts fan out to a timeline (added after
    // start: the worker's start-up sweep would otherwise queue every followed account before the clock runs).
    const viewer = 'did:plc:benchviewerbenchviewerbe'
    await registerLocalUser(db, viewer)
    await sql`
      insert into follow (uri, cid, author_did, subject_did, created_at, rev)
      select 'at://' || ${viewer} || '/app.bsky.graph.follow/f' || i, 'bafyreibench', ${viewer}, did, now(), '2222222222222'
      from unnest(${[big, ...small]}::text[]) with ordinality as x(did, i)
    `.execute(db)
    // Peaks over each run: RSS, and the V8 heap in use (what a --max-old-space-size cap has to fit).
    let peakRss = 0
    let peakHeap = 0
    const rssTimer = setInterval(() => {
      const { rss, heapUsed } = process.memoryUsage()
      peakRss = Math.max(peakRss, rss)
      peakHeap = Math.max(peakHeap, heapUsed)
    }, 50)

    const pgStats = PG_STATS ? new StatementStats(db) : undefined
    await pgStats?.reset()
    const cpu0 = cpuNow(network.pid, pgPort)
    let started = performance.now()
    await enqueueBackfills(db, [big], 'manual')
    const bigJobRecords = await waitDone(db, [big])
    const bigSeconds = (performance.now() - started) / 1000
    const bigRecords = await verifyRows(db, [big], BIG)
    if (bigJobRecords !== bigRecords)
      throw new Error(`the job counted ${bigJobRecords} records, not ${bigRecords}`)
    await pgStats?.report(log, 'one account')
    log(
      `one account: ${bigRecords} records in ${bigSeconds.toFixed(2)} s = ${Math.round(bigRecords / bigSeconds)} records/s`,
    )
    const bigPeakHeap = peakHeap
    peakHeap = 0

    const cpu1 = cpuNow(network.pid, pgPort)
    await pgStats?.reset()
    started = performance.now()
    await enqueueBackfills(db, small, 'manual')
    const smallJobRecords = await waitDone(db, small)
    const smallSeconds = (performance.now() - started) / 1000
    const smallRecords = await verifyRows(db, small, RECORDS)
    if (smallJobRecords !== smallRecords) {
      throw new Error(`the jobs counted ${smallJobRecords} records, not ${smallRecords}`)
    }
    await pgStats?.report(log, 'many accounts')
    log(
      `${small.length} accounts at once: ${smallRecords} records in ${smallSeconds.toFixed(2)} s = ` +
        `${Math.round(smallRecords / smallSeconds)} records/s`,
    )
    clearInterval(rssTimer)
    const cpu2 = cpuNow(network.pid, pgPort)
    log(
      `CPU seconds, one account ${JSON.stringify(cpuSince(cpu0, cpu1))}, many ${JSON.stringify(cpuSince(cpu1, cpu2))}`,
    )

    const timeline = await sql<{
      n: string
    }>`select count(*) as n from timeline_item where viewer_did = ${viewer}`.execute(db)
    const items = Number(timeline.rows[0].n)
    const seeded = [seededRows(BIG, 1), seededRows(RECORDS, small.length)]
    const feedItems = seeded.reduce((n, s) => n + s.posts + s.reposts, 0)
    if (items !== feedItems) throw new Error(`the viewer's timeline has ${items} items, not ${feedItems}`)
    log(
      `viewer timeline: ${items} items; worker process peak RSS ${mb(peakRss)} MB, peak heap used ` +
        `${mb(bigPeakHeap)} MB (one account) / ${mb(peakHeap)} MB (many)`,
    )
    const records = bigRecords + smallRecords
    const seconds = bigSeconds + smallSeconds
    const bigRate = Math.round(bigRecords / bigSeconds)
    const smallRate = Math.round(smallRecords / smallSeconds)
    process.stdout.write(
      JSON.stringify({
        bigAccount: {
          records: bigRecords,
          seconds: round(bigSeconds),
          recordsPerSec: bigRate,
          cpuSec: cpuSince(cpu0, cpu1),
        },
        manyAccounts: {
          accounts: small.length,
          records: smallRecords,
          seconds: round(smallSeconds),
          recordsPerSec: smallRate,
          cpuSec: cpuSince(cpu1, cpu2),
        },
        concurrency: cfg.concurrency,
        concurrencyPerHost: cfg.concurrencyPerHost,
        batchSize: cfg.batchSize,
        peakRssMb: mb(peakRss),
        peakHeapUsedMb: { bigAccount: mb(bigPeakHeap), manyAccounts: mb(peakHeap) },
        overallRecordsPerSec: Math.round(records / seconds),
      }) + '\n',
    )
    // The slower of the two runs, so neither can hide behind the other.
    process.stdout.write(JSON.stringify({ records, recordsPerSec: Math.min(bigRate, smallRate) }) + '\n')
  } finally {
    await backfill?.stop()
    await database.close()
    await cluster.stop()
    await network.stop()
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / 1048576)
}

function round(n: number): number {
  return Math.round(n * 100) / 100
}

if (process.argv.includes('--serve')) await serve()
else await main()
