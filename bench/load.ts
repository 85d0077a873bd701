// Load through the real nginx: BENCH_USERS local users (default 100) call app.bsky.feed.getTimeline as fast as
// they can for BENCH_SECONDS (30) while the firehose ingests a synthetic Jetstream stream at BENCH_INGEST_RATE
// events/s (5,000). Production shape on one machine: Postgres (tmpfs), the appview and the firehose as their own
// processes (`bin.ts`), nginx with Sundial's config in front, a dev-env PLC + PDS minting the users' service
// tokens. Every request is authenticated and must answer 200; every 20th answer is decoded and must be a full page.
// Also reported: CPU seconds per program during the load, the appview's pool queue, nginx's error-log lines.
//
//   npm run bench:load
//
// Last stdout line: {"rps":R,"p99Ms":P,"errors":0,...}
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import http from 'node:http'
import { gunzipSync } from 'node:zlib'
import net from 'node:net'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { registerLocalUser } from '@sundial/common'
import type { Db } from '@sundial/common'
import { createTestDatabase, freePort, startDevNetwork, startTestCluster } from '@sundial/devnet'
import { startNginx } from '../tests/ops/nginx-runner.ts'

const USERS = intEnv('BENCH_USERS', 100)
const SECONDS = intEnv('BENCH_SECONDS', 30)
const INGEST_RATE = intEnv('BENCH_INGEST_RATE', 5000)
const AUTHORS = intEnv('BENCH_AUTHORS', 1000)
const POSTS_PER_AUTHOR = intEnv('BENCH_POSTS_PER_AUTHOR', 50)
const FOLLOWS_PER_USER = intEnv('BENCH_FOLLOWS_PER_USER', 100)
// The appview's DATABASE_POOL_SIZE (the firehose keeps its default).
const APPVIEW_POOL_SIZE = process.env.BENCH_APPVIEW_POOL_SIZE
// NODE_OPTIONS for the appview only (e.g. V8 heap settings).
const APPVIEW_NODE_OPTIONS = process.env.BENCH_APPVIEW_NODE_OPTIONS
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR
const LIMIT = 50
const SERVICE_DID = 'did:web:sundial.bench.test'
const LXM = 'app.bsky.feed.getTimeline'
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  return raw ? Number(raw) : fallback
}

function log(message: string) {
  process.stderr.write(`[bench:load] ${message}\n`)
}

/** A program as its own OS process, as in production; resolves once `ready()` says so. */
async function spawnProcess(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  ready: () => Promise<boolean>,
): Promise<ChildProcess> {
  // BENCH_PROFILE_DIR: write a V8 CPU profile of every service process there (read it with Chrome DevTools).
  // One directory per service: node writes a profile per thread (tsx's loader runs in its own).
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, name)}`] : []
  const flags = [...productionNodeFlags(script), ...profile]
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-10_000)))
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`)
    if (await ready().catch(() => false)) return child
    if (Date.now() > deadline) throw new Error(`${name} did not become ready: ${stderr}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/**
 * The node flags the root package.json's start script for `script` gives it (`exec node --flag … dist/<name>.js`,
 * the bundle of `services/<name>/src/bin.ts`), so a service runs here with the flags `npm run start:<name>` uses.
 */
function productionNodeFlags(script: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>
  }
  const bundle = `dist/${script.split('/')[1]}.js`
  const command = Object.values(pkg.scripts).find(
    (c) => c.startsWith('exec node ') && c.endsWith(` ${bundle}`),
  )
  return command ? command.split(/\s+/).filter((word) => word.startsWith('--')) : []
}

const healthy = (url: string) => () => fetch(url).then((r) => r.ok)

const listening = (port: number) => () =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

const did = (i: unknown) => sql`('did:plc:loadauthor' || lpad((${i})::text, 14, '0'))`

/** Authors with posts (and their feed items), and each user following FOLLOWS_PER_USER of them. */
async function seed(db: Db, users: { did: string; handle: string }[]): Promise<void> {
  const lit = (n: number) => sql.lit(n)
  await sql`
    insert into actor (did, handle, pds_endpoint)
    select ${did(sql`i`)}, 'author' || i || '.bench.test', 'https://pds.bench.test'
    from generate_series(0, ${lit(AUTHORS - 1)}) i
  `.execute(db)
  await sql`
    insert into profile (did, uri, cid, display_name, record, created_at)
    select d, 'at://' || d || '/app.bsky.actor.profile/self', 'bafyreiprofile' || md5(d), 'Author ' || i,
      jsonb_build_object('$type', 'app.bsky.actor.profile', 'displayName', 'Author ' || i), now()
    from (select i, ${did(sql`i`)} as d from generate_series(0, ${lit(AUTHORS - 1)}) i) a
  `.execute(db)
  // Post n by author n % AUTHORS, one every 10 s back from now.
  await sql`
    with p as (
      select n, ${did(sql`n % ${lit(AUTHORS)}`)} as author, lpad(to_hex(n), 13, 'z') as rkey,
        'bafyrei' || md5(n::text) || left(md5('c' || n), 20) as cid,
        now() - n * interval '10 seconds' as ts
      from generate_series(0, ${lit(AUTHORS * POSTS_PER_AUTHOR - 1)}) n
    ), inserted as (
      insert into post (uri, cid, author_did, rkey, text, record, langs, created_at, indexed_at, sort_at)
      select 'at://' || author || '/app.bsky.feed.post/' || rkey, cid, author, rkey, 'load post ' || n,
        jsonb_build_object('$type', 'app.bsky.feed.post', 'text', 'load post ' || n, 'langs', '["en"]'::jsonb,
          'createdAt', to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
        array['en'], ts, ts, ts
      from p
      returning uri, cid, author_did, sort_at
    )
    insert into feed_item (uri, cid, type, post_uri, originator_did, sort_at)
    select uri, cid, 'post', uri, author_did, sort_at from inserted
  `.execute(db)
  for (const [k, user] of users.entries()) {
    await db
      .insertInto('actor')
      .values({ did: user.did, handle: user.handle })
      .onConflict((oc) => oc.column('did').doNothing())
      .execute()
    await sql`
      insert into follow (uri, cid, author_did, subject_did, created_at)
      select 'at://' || ${user.did} || '/app.bsky.graph.follow/' || lpad(to_hex(j), 13, 'z'),
        'bafyreifollow' || md5(${user.did} || j), ${user.did}, ${did(sql`(${lit(k * 7)} + j * 10) % ${lit(AUTHORS)}`)},
        now()
      from generate_series(0, ${lit(FOLLOWS_PER_USER - 1)}) j
    `.execute(db)
    // Local users with their materialised timelines, as after their first read.
    await registerLocalUser(db, user.did)
  }
  await sql`analyze`.execute(db)
}

/** Sum of a Prometheus counter's samples in a /metrics page. */
function counterSum(text: string, name: string): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

interface LoadResult {
  latencies: number[]
  errors: number
  errorSamples: string[]
  /** 200 answers whose body was decoded and checked (every CHECK_EVERY-th). */
  checked: number
}

/** Every so many 200 answers are decoded and checked to be a full page (a cheap empty answer would flatter rps). */
const CHECK_EVERY = 20

/** Why a getTimeline body is not a full page, or undefined when it is. */
function pageProblem(body: Buffer, encoding: string | undefined): string | undefined {
  try {
    const text = (encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8')
    const page = JSON.parse(text) as {
      feed?: { post?: { uri?: string; author?: { did?: string } } }[]
      cursor?: string
    }
    if (!Array.isArray(page.feed) || page.feed.length !== LIMIT) return `page of ${page.feed?.length} items`
    if (!page.cursor) return 'page without cursor'
    if (!page.feed.every((item) => item.post?.uri && item.post.author?.did))
      return 'item without post or author'
    return undefined
  } catch (err) {
    return `undecodable page: ${(err as Error).message}`
  }
}

/** One worker per user, each looping getTimeline with its own token until the deadline. */
async function runLoad(base: URL, tokens: string[], deadline: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: tokens.length * 2 })
  const latencies: number[] = []
  let errors = 0
  const errorSamples: string[] = []
  let answered = 0
  let checked = 0
  const one = (token: string) =>
    new Promise<void>((resolve) => {
      const start = performance.now()
      const req = http.request(
        {
          host: base.hostname,
          port: base.port,
          path: `/xrpc/${LXM}?limit=${LIMIT}`,
          agent,
          headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const elapsed = performance.now() - start
            let problem: string | undefined
            if (res.statusCode !== 200) {
              problem = `${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`
            } else if (answered++ % CHECK_EVERY === 0) {
              checked++
              problem = pageProblem(Buffer.concat(chunks), res.headers['content-encoding'])
            }
            if (problem === undefined) latencies.push(elapsed)
            else {
              errors++
              if (errorSamples.length < 5) errorSamples.push(problem)
            }
            resolve()
          })
        },
      )
      req.on('error', (err) => {
        errors++
        if (errorSamples.length < 5) errorSamples.push(err.message)
        resolve()
      })
      req.end()
    })
  await Promise.all(
    tokens.map(async (token) => {
      do await one(token)
      while (performance.now() < deadline)
    }),
  )
  agent.destroy()
  return { latencies, errors, errorSamples, checked }
}

/** CPU ticks (user + system) of every process below this one, summed per child of this process. */
function cpuTicksByChild(): Map<number, number> {
  const parentOf = new Map<number, number>()
  const ticks = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // Fields after the parenthesised command name: state ppid ... utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parentOf.set(Number(entry), Number(fields[1]))
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]))
    } catch {
      // exited meanwhile
    }
  }
  const byChild = new Map<number, number>()
  for (const [pid, t] of ticks) {
    let p = pid
    while (parentOf.has(p) && parentOf.get(p) !== process.pid) p = parentOf.get(p)!
    if (parentOf.get(p) === process.pid) byChild.set(p, (byChild.get(p) ?? 0) + t)
  }
  return byChild
}

/** Busy CPU ticks of the whole machine (all cores), from /proc/stat. */
function machineBusyTicks(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  // user nice system idle iowait irq softirq steal: everything but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number)
  return user + nice + system + irq + softirq + steal
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return String(pid)
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function main() {
  const cluster = await startTestCluster(await freePort())
  const network = await startDevNetwork()
  const cleanups: (() => Promise<unknown>)[] = [() => cluster.stop(), () => network.close()]
  let appview: ChildProcess | undefined
  let firehose: ChildProcess | undefined
  let jetstream: ChildProcess | undefined
  try {
    const database = await createTestDatabase(cluster.adminUrl, 'load')
    cleanups.unshift(() => database.close())

    log(`creating ${USERS} accounts on the dev PDS`)
    const users: { did: string; handle: string; token: string }[] = []
    for (let i = 0; i < USERS; i++) {
      const user = await network.createUser(`load${i}`)
      const { data } = await user.agent.com.atproto.server.getServiceAuth({
        aud: SERVICE_DID,
        lxm: LXM,
        exp: Math.floor(Date.now() / 1000) + 30 * 60,
      })
      users.push({ did: user.did, handle: user.handle, token: data.token })
    }

    log(
      `seeding ${AUTHORS * POSTS_PER_AUTHOR} posts by ${AUTHORS} authors; ${USERS} users follow ${FOLLOWS_PER_USER} each`,
    )
    const seedStart = performance.now()
    await seed(database.db, users)
    log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`)

    const appviewPort = await freePort()
    const firehosePort = await freePort()
    const jetstreamPort = await freePort()
    const common = { DATABASE_URL: database.url, PLC_URL: network.plcUrl, LOG_LEVEL: 'warn' }
    appview = await spawnProcess(
      'appview',
      'services/appview/src/bin.ts',
      [],
      {
        ...common,
        PORT: String(appviewPort),
        SERVICE_DID,
        PUBLIC_URL: `http://127.0.0.1:${appviewPort}`,
        ...(APPVIEW_POOL_SIZE ? { DATABASE_POOL_SIZE: APPVIEW_POOL_SIZE } : {}),
        ...(APPVIEW_NODE_OPTIONS ? { NODE_OPTIONS: APPVIEW_NODE_OPTIONS } : {}),
      },
      healthy(`http://127.0.0.1:${appviewPort}/xrpc/_health`),
    )
    // The synthetic Jetstream runs in its own process (the real one is elsewhere too), live at INGEST_RATE.
    const streamArgs = ['--port', String(jetstreamPort), '--synthetic', String(INGEST_RATE * (SECONDS + 120))]
    jetstream = await spawnProcess(
      'jetstream',
      'tools/jetstream-server/src/bin.ts',
      [...streamArgs, '--rate', String(INGEST_RATE)],
      {},
      listening(jetstreamPort),
    )
    firehose = await spawnProcess(
      'firehose',
      'services/firehose/src/bin.ts',
      [],
      {
        ...common,
        PORT: String(firehosePort),
        JETSTREAM_URL: `ws://127.0.0.1:${jetstreamPort}/subscribe`,
        BACKFILL_ENABLED: 'false',
      },
      healthy(`http://127.0.0.1:${firehosePort}/xrpc/_health`),
    )

    const nginx = await startNginx({
      port: await freePort(),
      vars: {
        APPVIEW_UPSTREAM: `127.0.0.1:${appviewPort}`,
        SCHEDULER_UPSTREAM: `127.0.0.1:${await freePort()}`,
        // All the load comes from one address; the per-IP limits are for the public, not this test.
        NGINX_READ_RATE: '1000000r/s',
        NGINX_READ_BURST: '100000',
      },
    })
    cleanups.unshift(() => nginx.stop())
    const base = new URL(nginx.url)
    const tokens = users.map((u) => u.token)

    // Warm-up: each user once, one after another (the appview resolves and caches every issuer's DID document
    // from the PLC on first sight), then all together for a moment; every answer must be a 200.
    for (const token of tokens) {
      const first = await runLoad(base, [token], 0)
      if (first.errors > 0) throw new Error(`warm-up failed: ${first.errorSamples.join('; ')}`)
    }
    const warm = await runLoad(base, tokens, performance.now() + 2000)
    if (warm.errors > 0) throw new Error(`warm-up failed: ${warm.errorSamples.join('; ')}`)

    const metricsUrl = `http://127.0.0.1:${firehosePort}/metrics`
    const ingestedAt = async () =>
      counterSum(await (await fetch(metricsUrl)).text(), 'sundial_firehose_events_total')
    await new Promise((r) => setTimeout(r, 3000))

    log(`load: ${USERS} users for ${SECONDS} s at full speed, ingest ${INGEST_RATE} events/s`)
    const ingestBefore = await ingestedAt()
    const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ')[0]
    const ticksBefore = cpuTicksByChild()
    const machineBefore = machineBusyTicks()
    const ownBefore = process.cpuUsage()
    const started = performance.now()
    // Once a second: appview queries waiting for a pool connection, and connections in use.
    const poolSamples: { waiting: number; inUse: number }[] = []
    const appviewMetrics = `http://127.0.0.1:${appviewPort}/metrics`
    const sampler = setInterval(() => {
      fetch(appviewMetrics)
        .then((r) => r.text())
        .then((text) =>
          poolSamples.push({
            waiting: counterSum(text, 'sundial_appview_db_pool{state="waiting"}'),
            inUse: counterSum(text, 'sundial_appview_db_pool{state="in_use"}'),
          }),
        )
        .catch(() => undefined)
    }, 1000)
    const result = await runLoad(base, tokens, started + SECONDS * 1000)
    clearInterval(sampler)
    const elapsed = (performance.now() - started) / 1000
    const ingested = (await ingestedAt()) - ingestBefore
    const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ')[0]
    const appviewPeakRssMb = Math.round(
      Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${appview.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024,
    )
    // nginx's own complaints (upstream resets, timeouts, limits) even where the client still got a 200.
    const nginxLogLines = (await nginx.errorLog())
      .split('\n')
      .filter((l) => /\[(warn|error|crit|alert|emerg)\]/.test(l))

    // CPU seconds each program used during the load (clock ticks of 10 ms), to see which one is the bottleneck.
    const names = new Map<number, string>([
      [appview.pid!, 'appview'],
      [firehose.pid!, 'firehose'],
      [jetstream.pid!, 'jetstream'],
    ])
    const cpuSec: Record<string, number> = {}
    for (const [pid, t] of cpuTicksByChild()) {
      const name = names.get(pid) ?? commandOf(pid)
      cpuSec[name] = (cpuSec[name] ?? 0) + (t - (ticksBefore.get(pid) ?? 0)) / 100
    }
    const own = process.cpuUsage(ownBefore)
    cpuSec['bench (clients, PDS)'] = (own.user + own.system) / 1e6
    // Whatever else ran on the machine meanwhile (other people's work disturbs the figures).
    const ours = Object.values(cpuSec).reduce((a, b) => a + b, 0)
    cpuSec['other processes'] = Math.max(0, (machineBusyTicks() - machineBefore) / 100 - ours)
    for (const name of Object.keys(cpuSec)) cpuSec[name] = Math.round(cpuSec[name] * 10) / 10

    const sorted = result.latencies.sort((a, b) => a - b)
    const mean = (xs: number[]) =>
      Math.round((10 * xs.reduce((a, b) => a + b, 0)) / Math.max(1, xs.length)) / 10
    const pool = {
      waitingMean: mean(poolSamples.map((p) => p.waiting)),
      waitingMax: Math.max(0, ...poolSamples.map((p) => p.waiting)),
      inUseMean: mean(poolSamples.map((p) => p.inUse)),
    }
    const rps = Math.round(sorted.length / elapsed)
    if (result.errors > 0) log(`errors: ${result.errorSamples.join('; ')}`)
    log(
      `requests ${sorted.length}, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms; ` +
        `firehose committed ${Math.round(ingested / elapsed)} events/s during the load; ` +
        `load average ${loadBefore} → ${loadAfter}; CPU seconds ${JSON.stringify(cpuSec)}; ` +
        `appview pool ${JSON.stringify(pool)}; nginx error log: ${nginxLogLines.length} lines ` +
        nginxLogLines.slice(0, 3).join(' | '),
    )
    process.stdout.write(
      JSON.stringify({
        rps,
        p99Ms: Math.round(percentile(sorted, 99) * 10) / 10,
        errors: result.errors,
        p50Ms: Math.round(percentile(sorted, 50) * 10) / 10,
        p90Ms: Math.round(percentile(sorted, 90) * 10) / 10,
        maxMs: Math.round((sorted.at(-1) ?? 0) * 10) / 10,
        requests: sorted.length,
        pagesChecked: result.checked,
        seconds: Math.round(elapsed * 10) / 10,
        users: USERS,
        ingestEventsPerSec: Math.round(ingested / elapsed),
        loadavg: [Number(loadBefore), Number(loadAfter)],
        cpuSec,
        pool,
        nginxErrorLogLines: nginxLogLines.length,
        appviewPeakRssMb,
      }) + '\n',
    )
  } finally {
    await stopChild(firehose)
    await stopChild(jetstream)
    await stopChild(appview)
    for (const cleanup of cleanups) await cleanup().catch((err) => log(`cleanup: ${err}`))
  }
}

await main()
