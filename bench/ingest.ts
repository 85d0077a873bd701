// Ingest throughput: a realistic synthetic Jetstream stream (likes, posts with replies/quotes/images, reposts,
// follows, deletes, profile updates, identity and account events) served at full speed over a websocket, into a
// fresh Postgres, through the real firehose service, until every event is committed with its cursor.
//
//   npm run bench:ingest
//   BENCH_EVENTS=100000 npm run bench:ingest
//
// The Jetstream server runs in a child process (this file with --serve), so the firehose's process holds only
// the firehose: its peak RSS is reported, and Postgres's (proportional set size of the cluster's processes)
// separately. A few local users follow busy accounts of the stream, so timeline fan-out runs as in production.
//
// Last stdout line: {"events":N,"eventsPerSec":X,"peakRssMb":Y,"postgresPeakMb":Z,"nodeCpuSec":A,"postgresCpuSec":B}
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { registerLocalUser } from '@sundial/common'
import { createTestDatabase, freePort, startTestCluster } from '@sundial/devnet'
import { JetstreamServer, syntheticEvents } from '@sundial/jetstream-server'
import { FirehoseService, readConfig } from '@sundial/firehose'

const EVENTS = intEnv('BENCH_EVENTS', 300_000)
const ACTORS = intEnv('BENCH_ACTORS', 20_000)
const LOCAL_USERS = intEnv('BENCH_LOCAL_USERS', 20)
const FOLLOWS_PER_LOCAL_USER = intEnv('BENCH_LOCAL_FOLLOWS', 200)
const SEED = intEnv('BENCH_SEED', 1)

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  return raw ? Number(raw) : fallback
}

function log(message: string) {
  process.stderr.write(`[bench:ingest] ${message}\n`)
}

interface Served {
  url: string
  events: number
  malformed: number
  lastTimeUs: number
  /** Most active accounts of the stream, busiest first. */
  busy: string[]
}

/** Child role: load the stream into a Jetstream server and say where it is. */
async function serve(): Promise<void> {
  const server = await JetstreamServer.create({ retention: { maxEvents: EVENTS + 1 } })
  const summary = server.loadSynthetic({ seed: SEED, count: EVENTS, actors: ACTORS })
  const activity = new Map<string, number>()
  for (const item of syntheticEvents({ seed: SEED, count: Math.min(EVENTS, 50_000), actors: ACTORS })) {
    if (item.kind === 'commit' && item.commit.collection === 'app.bsky.feed.post') {
      activity.set(item.did, (activity.get(item.did) ?? 0) + 1)
    }
  }
  const busy = [...activity].sort((a, b) => b[1] - a[1]).map(([did]) => did)
  const served: Served = { url: server.subscribeUrl, ...summary, busy: busy.slice(0, 2000) }
  process.stdout.write(JSON.stringify(served) + '\n')
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)))
}

/** Processes of the Postgres cluster listening on `port`: the postmaster and its children. */
function postgresPids(port: string): number[] {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  let postmaster = 0
  for (const pid of procs) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmd.includes('postgres') && cmd.includes(`-p\0${port}\0`)) postmaster = Number(pid)
    } catch {
      // gone
    }
  }
  return procs
    .filter((pid) => {
      try {
        const parent = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]
        return Number(pid) === postmaster || Number(parent) === postmaster
      } catch {
        return false
      }
    })
    .map(Number)
}

/** Proportional set size (shared buffers counted once) and CPU seconds of the cluster's processes. */
function postgresUsage(pids: number[]): { pssMb: number; cpuSec: number } {
  let pssKb = 0
  let ticks = 0
  for (const pid of pids) {
    try {
      const pss = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
      pssKb += pss ? Number(pss[1]) : 0
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      ticks += Number(stat[11]) + Number(stat[12]) + Number(stat[13]) + Number(stat[14])
    } catch {
      // exited meanwhile
    }
  }
  return { pssMb: pssKb / 1024, cpuSec: ticks / 100 }
}

async function main(): Promise<void> {
  const port = await freePort()
  const cluster = await startTestCluster(port)
  const database = await createTestDatabase(cluster.adminUrl, 'bench_ingest')
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.resolve(import.meta.dirname, 'ingest.ts'), '--serve'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    },
  )
  try {
    const line: string = await new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve)
      child.once('exit', (code) => reject(new Error(`stream server exited with ${code}`)))
    })
    const served = JSON.parse(line) as Served
    log(`stream: ${served.events} events + ${served.malformed} malformed frames at ${served.url}`)

    // Local users following busy accounts: new posts and reposts fan out into their timelines.
    for (let u = 0; u < LOCAL_USERS; u++) {
      const viewer = `did:plc:benchlocal${String(u).padStart(14, '0')}`
      const followed = served.busy.slice(u * 50, u * 50 + FOLLOWS_PER_LOCAL_USER)
      await sql`
        insert into follow (uri, cid, author_did, subject_did, created_at)
        select 'at://' || ${viewer} || '/app.bsky.graph.follow/bench' || n, 'bafyreibench', ${viewer}, subject, now()
        from unnest(${followed}::text[]) with ordinality as f(subject, n)
      `.execute(database.db)
      await registerLocalUser(database.db, viewer)
    }
    await database.close()

    // FIREHOSE_* settings from the environment apply (batch size, queue bounds…); the rest is this run's.
    const tuning = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('FIREHOSE_')))
    const cfg = readConfig({
      ...tuning,
      DATABASE_URL: database.url,
      JETSTREAM_URL: served.url,
      FIREHOSE_START_CURSOR: '1',
      LOG_LEVEL: 'warn',
      BACKFILL_ENABLED: 'false',
      PORT: '0',
    })
    // The cluster's processes, looked up once: walking /proc while measuring would cost the firehose CPU.
    let pgPids = postgresPids(String(port))
    const pgBefore = postgresUsage(pgPids)
    const cpuBefore = process.cpuUsage()
    let peakPgMb = pgBefore.pssMb
    const service = await FirehoseService.create(cfg, { serveHttp: false })
    const started = performance.now()
    await service.start()
    let lastLog = started
    let lastSample = started
    while ((service.cursor ?? 0) < served.lastTimeUs) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      if (performance.now() - lastSample > 1000) {
        lastSample = performance.now()
        peakPgMb = Math.max(peakPgMb, postgresUsage(pgPids).pssMb)
      }
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now()
        pgPids = postgresPids(String(port))
        log(
          `${((performance.now() - started) / 1000).toFixed(0)} s, queue ${service.queueDepth}, ` +
            `rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB heap ${(process.memoryUsage().heapTotal / 1e6).toFixed(0)}/${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} ext ${(process.memoryUsage().external / 1e6).toFixed(0)}`,
        )
      }
    }
    const seconds = (performance.now() - started) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const pgAfter = postgresUsage(pgPids)
    await service.destroy()
    const frames = served.events + served.malformed
    const result = {
      events: frames,
      eventsPerSec: Math.round(frames / seconds),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      postgresPeakMb: Math.round(peakPgMb),
      nodeCpuSec: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
      postgresCpuSec: Number((pgAfter.cpuSec - pgBefore.cpuSec).toFixed(1)),
    }
    log(`${frames} events in ${seconds.toFixed(1)} s`)
    process.stdout.write(JSON.stringify(result) + '\n')
  } finally {
    child.kill('SIGTERM')
    await cluster.stop()
  }
}

if (process.argv.includes('--serve')) await serve()
else await main()
