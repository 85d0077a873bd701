// Ingest throughput: a realistic synthetic Jetstream stream (likes, posts with replies/quotes/images, reposts,
// follows, deletes, profile updates, identity and account events) served at full speed over a websocket, into a
// fresh Postgres, through the real firehose service, until every event is committed with its cursor.
//
//   npm run bench:ingest
//   BENCH_EVENTS=100000 npm run bench:ingest
//
// Three processes, so each is measured alone: this one (Postgres cluster, set-up, measuring), the Jetstream server
// (this file with --serve), and the firehose started exactly as a user starts it (`npm run start:firehose`, with
// the service's own defaults; FIREHOSE_* variables set for the benchmark pass through). Timed from the firehose's
// "firehose starting" log line until the stored cursor equals the last event's time_us (every row and count
// committed). A few local users follow busy accounts of the stream, so timeline fan-out runs as in production.
// BENCH_FIREHOSE_NODE_OPTIONS sets NODE_OPTIONS for the firehose process alone (e.g. the heap cap the README
// suggests for an ingest-only firehose); the other two processes are not affected. BENCH_PG_STATS=1 loads
// pg_stat_statements and prints Postgres's time per statement on stderr (a little slower than a plain run).
// BENCH_DROP_SECONDARY_INDEXES=1 (diagnostic only: reads would scan) drops every index but the unique keys the
// upserts need, to bound what any change to the indexes could gain.
//
// Last stdout line: {"events":N,"eventsPerSec":X,"peakRssMb":Y,...}: peakRssMb is the TOTAL, the firehose
// process's peak RSS plus the Postgres cluster's peak PSS (both also given alone), the figure the ≤ 300 MB target
// is about.
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import pg from 'pg'
import { createDatabase, registerLocalUser } from '@sundial/common'
import { StatementStats, createTestDatabase, freePort, startTestCluster } from '@sundial/devnet'
import { JetstreamServer, syntheticEvents } from '@sundial/jetstream-server'

const EVENTS = intEnv('BENCH_EVENTS', 300_000)
const ACTORS = intEnv('BENCH_ACTORS', 20_000)
const LOCAL_USERS = intEnv('BENCH_LOCAL_USERS', 20)
const FOLLOWS_PER_LOCAL_USER = intEnv('BENCH_LOCAL_FOLLOWS', 200)
const SEED = intEnv('BENCH_SEED', 1)
const PG_STATS = process.env.BENCH_PG_STATS === '1'
const DROP_SECONDARY_INDEXES = process.env.BENCH_DROP_SECONDARY_INDEXES === '1'

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

/** Parent pid of every process, read once. */
function parents(): Map<number, number> {
  const map = new Map<number, number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      map.set(Number(d), Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]))
    } catch {
      // gone
    }
  }
  return map
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return ''
  }
}

/** Processes of the Postgres cluster listening on `port`: the postmaster and its children. */
function postgresPids(port: string): number[] {
  const tree = parents()
  const postmaster = [...tree.keys()].find((pid) => {
    const cmd = cmdline(pid)
    return cmd.includes('postgres') && cmd.includes(`-p\0${port}\0`)
  })
  return [...tree].filter(([pid, parent]) => pid === postmaster || parent === postmaster).map(([pid]) => pid)
}

/**
 * The node process running the firehose service below `root`: the deepest node process there (npm's shell, and a
 * launcher process if the start script has one, sit in between).
 */
function firehosePid(root: number): number | undefined {
  const tree = parents()
  const depth = (pid: number): number => {
    let d = 0
    for (let p = pid; p > 1; p = tree.get(p) ?? 0, d++) if (p === root) return d
    return -1
  }
  let found: number | undefined
  let deepest = 0
  for (const pid of tree.keys()) {
    const d = depth(pid)
    if (d > deepest && path.basename(cmdline(pid).split('\0')[0]) === 'node') [found, deepest] = [pid, d]
  }
  return found
}

/** Proportional set size (shared memory counted once) and CPU seconds of processes. */
function usage(pids: number[]): { pssMb: number; cpuSec: number } {
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

/** CPU seconds of the whole machine since boot, all cores: busy (not idle or iowait) and in all. */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const total = fields.reduce((a, b) => a + b, 0)
  return { busy: (total - fields[3] - fields[4]) / 100, total: total / 100 }
}

/** Peak resident set size of a process (the kernel's high-water mark), in MB. */
function peakRssMb(pid: number): number {
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return hwm ? Number(hwm[1]) / 1024 : 0
}

async function main(): Promise<void> {
  const port = await freePort()
  const cluster = await startTestCluster(port, { statementStats: PG_STATS })
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
    if (DROP_SECONDARY_INDEXES) {
      const { rows } = await sql<{ name: string }>`
        select i.indexrelid::regclass::text as name from pg_index i
        join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
        where n.nspname = 'public' and not i.indisunique
      `.execute(database.db)
      for (const { name } of rows) await sql`drop index ${sql.raw(name)}`.execute(database.db)
      log(`diagnostic: dropped ${rows.length} secondary indexes`)
    }
    if (PG_STATS) await new StatementStats(database.db).reset()
    // Closed during the run: an idle backend would add to the Postgres memory measured.
    await database.close()

    // The firehose as a user starts it. FIREHOSE_* settings from the environment apply (batch size, queue
    // bounds…); the rest is this run's: its database, the stream from the start, no backfill, no HTTP port.
    const env = {
      ...process.env,
      DATABASE_URL: database.url,
      JETSTREAM_URL: served.url,
      FIREHOSE_START_CURSOR: '1',
      LOG_LEVEL: 'info',
      BACKFILL_ENABLED: 'false',
      PORT: '0',
      NODE_OPTIONS: process.env.BENCH_FIREHOSE_NODE_OPTIONS ?? process.env.NODE_OPTIONS,
    }
    const npm = process.env.npm_execpath
    const firehose = npm
      ? spawn(process.execPath, [npm, 'run', '--silent', 'start:firehose'], {
          env,
          stdio: ['ignore', 'pipe', 'inherit'],
        })
      : spawn('npm', ['run', '--silent', 'start:firehose'], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    const firehoseExit = new Promise<number | null>((resolve) => firehose.once('exit', resolve))
    let pgPids = postgresPids(String(port))
    const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
    let started = 0
    let pid: number | undefined
    let cpuBefore = 0
    const pgBefore = usage(pgPids)
    let serverBefore = 0
    let machineBefore = { busy: 0, total: 0 }
    let peakPgMb = pgBefore.pssMb
    createInterface({ input: firehose.stdout! }).on('line', (line) => {
      if (started === 0 && line.includes('"firehose starting"')) {
        started = performance.now()
        pid = firehosePid(firehose.pid!)
        cpuBefore = pid ? usage([pid]).cpuSec : 0
        serverBefore = usage([child.pid!]).cpuSec
        machineBefore = machineCpu()
      } else if (/"level":(40|50|60)/.test(line)) {
        process.stderr.write(line + '\n')
      }
    })

    const watch = new pg.Client({ connectionString: database.url })
    watch.on('error', () => undefined)
    await watch.connect()
    let lastLog = performance.now()
    let lastSample = 0
    for (;;) {
      const { rows } = await watch.query<{ time_us: string }>(
        `select time_us from cursor where name = 'firehose'`,
      )
      if (rows.length > 0 && Number(rows[0].time_us) >= served.lastTimeUs) break
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 50)), firehoseExit])
      if (firehose.exitCode !== null) throw new Error(`firehose exited with ${firehose.exitCode}`)
      if (performance.now() - lastSample > 1000) {
        lastSample = performance.now()
        // The firehose's backends appear once it connects.
        pgPids = postgresPids(String(port))
        peakPgMb = Math.max(peakPgMb, usage(pgPids).pssMb)
      }
      if (started && performance.now() - lastLog > 5000) {
        lastLog = performance.now()
        const rss = pid ? peakRssMb(pid) : 0
        log(`${((performance.now() - started) / 1000).toFixed(0)} s, firehose peak rss ${rss.toFixed(0)} MB`)
      }
    }
    const seconds = (performance.now() - started) / 1000
    const firehoseMb = pid ? peakRssMb(pid) : 0
    const firehoseCpu = pid ? usage([pid]).cpuSec - cpuBefore : 0
    pgPids = postgresPids(String(port))
    const pgAfter = usage(pgPids)
    const serverCpu = usage([child.pid!]).cpuSec - serverBefore
    const machine = machineCpu()
    peakPgMb = Math.max(peakPgMb, pgAfter.pssMb)
    await watch.end()
    if (pid) process.kill(pid, 'SIGTERM')
    await firehoseExit
    if (PG_STATS) {
      const after = createDatabase({ url: database.url })
      await new StatementStats(after.db).report(log, `${served.events} events`)
      await after.close()
    }
    const frames = served.events + served.malformed
    const result = {
      events: frames,
      eventsPerSec: Math.round(frames / seconds),
      peakRssMb: Math.round(firehoseMb + peakPgMb),
      firehoseRssMb: Math.round(firehoseMb),
      postgresPeakMb: Math.round(peakPgMb),
      nodeCpuSec: Number(firehoseCpu.toFixed(1)),
      // The stream server child, and every core's busy time on the machine (other work included) over the run.
      serverCpuSec: Number(serverCpu.toFixed(1)),
      machineBusySec: Number((machine.busy - machineBefore.busy).toFixed(1)),
      machineCpuSec: Number((machine.total - machineBefore.total).toFixed(1)),
      postgresCpuSec: Number((pgAfter.cpuSec - pgBefore.cpuSec).toFixed(1)),
      loadAverage,
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
