// Scheduler lateness: 10,000 drafts of 1,000 users fall due within the same minute and are published by the real
// scheduler service (leases, per-PDS queues, app-password agents, the completion transaction) to a fast
// stand-in PDS. Lateness = the moment the stand-in receives a write − the draft's due time.
//
//   npm run bench:scheduler
//   BENCH_DRAFTS=2000 BENCH_USERS=200 npm run bench:scheduler
//
// The stand-in PDS runs in a child process (this file with --serve): BENCH_HOSTS HTTP servers on 127.0.0.1,
// each answering putRecord at once and noting when each write arrived. The scheduler, a fresh Postgres on
// tmpfs and an idle Jetstream server (confirmation is measured by bench:confirm) run in this process.
// Drafts and app-password credentials are written straight to the database (the proxy's request path is not
// what is measured); due times are spread evenly over 60 s starting a few seconds after setup.
//
// Last stdout line: {"due":N,"p50LatenessMs":A,"p99LatenessMs":B,"maxLatenessMs":C}
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { sql } from 'kysely'
import { createTestDatabase, freePort, startTestCluster } from '@sundial/devnet'
import { JetstreamServer } from '@sundial/jetstream-server'
import { readConfig } from '../services/scheduler/src/config.ts'
import { SchedulerService } from '../services/scheduler/src/index.ts'
import { SecretBox } from '../services/scheduler/src/outbound/encryption.ts'
import { secretContext, sessionContext } from '../services/scheduler/src/outbound/outbound-auth.ts'
import { TidGenerator } from '../services/scheduler/src/records/tid.ts'

const DRAFTS = intEnv('BENCH_DRAFTS', 10_000)
const USERS = intEnv('BENCH_USERS', 1_000)
const HOSTS = intEnv('BENCH_HOSTS', 10)
const SPREAD_MS = intEnv('BENCH_SPREAD_MS', 60_000)
const LEAD_MS = intEnv('BENCH_LEAD_MS', 8_000)
const KEY = 'b2'.repeat(32)
// Any syntactically valid CID: the stand-in does not hash what it receives.
const FAKE_CID = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  return raw ? Number(raw) : fallback
}

function log(message: string) {
  process.stderr.write(`[bench:scheduler] ${message}\n`)
}

/** Child role: stand-in PDS hosts that accept every write at once and record its lateness. */
async function serve(): Promise<void> {
  const lateness: number[] = []
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const received = Date.now()
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/results') {
      res.setHeader('content-type', 'application/json')
      return void res.end(JSON.stringify(lateness))
    }
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      if (url.pathname === '/xrpc/com.atproto.repo.putRecord') {
        const input = JSON.parse(body) as {
          repo: string
          collection: string
          rkey: string
          record: { text: string }
        }
        lateness.push(received - Number(input.record.text.slice('due:'.length)))
        return void res.end(
          JSON.stringify({
            uri: `at://${input.repo}/${input.collection}/${input.rkey}`,
            cid: FAKE_CID,
            commit: { cid: FAKE_CID, rev: '3kaaaaaaaaaaa' },
            validationStatus: 'valid',
          }),
        )
      }
      res.statusCode = 404
      res.end(JSON.stringify({ error: 'MethodNotImplemented', message: url.pathname }))
    })
  }
  const urls: string[] = []
  for (let i = 0; i < HOSTS; i++) {
    const server = http.createServer({ keepAliveTimeout: 60_000 }, handler)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  }
  process.stdout.write(JSON.stringify(urls) + '\n')
}

async function main(): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.resolve(import.meta.dirname, 'scheduler.ts'), '--serve'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    },
  )
  const hosts = JSON.parse(
    await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
  ) as string[]
  const cluster = await startTestCluster(await freePort())
  const database = await createTestDatabase(cluster.adminUrl, 'bench_sched')
  const jetstream = await JetstreamServer.create()
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-sched-'))
  let service: SchedulerService | undefined
  try {
    const box = SecretBox.fromKey(Buffer.from(KEY, 'hex'))
    const dids = Array.from({ length: USERS }, (_, i) => `did:plc:bench${String(i).padStart(19, '0')}`)
    const credentials = dids.map((did, i) => ({
      did,
      kind: 'app_password' as const,
      pdsUrl: hosts[i % hosts.length],
      identifier: did,
      secretEnc: box.encryptJson({ identifier: did, password: 'xxxx-xxxx-xxxx-xxxx' }, secretContext(did)),
      sessionEnc: box.encryptJson(
        {
          did,
          handle: `u${i}.test`,
          accessJwt: randomBytes(16).toString('hex'),
          refreshJwt: 'r',
          active: true,
        },
        sessionContext(did),
      ),
    }))
    for (let i = 0; i < credentials.length; i += 500) {
      await database.db
        .insertInto('schedulerCredential')
        .values(credentials.slice(i, i + 500))
        .execute()
    }
    const firstDue = Date.now() + LEAD_MS
    const tids = new TidGenerator()
    const drafts = Array.from({ length: DRAFTS }, (_, i) => {
      const did = dids[i % USERS]
      const due = new Date(firstDue + Math.floor((i * SPREAD_MS) / DRAFTS))
      const rkey = tids.next()
      const record = {
        $type: 'app.bsky.feed.post',
        text: `due:${due.getTime()}`,
        createdAt: due.toISOString(),
      }
      return {
        id: randomBytes(12).toString('base64url'),
        ownerDid: did,
        status: 'scheduled' as const,
        operation: 'create' as const,
        collection: 'app.bsky.feed.post',
        rkey,
        uri: `at://${did}/app.bsky.feed.post/${rkey}`,
        record: JSON.stringify(record),
        scheduledAt: due,
        nextAttemptAt: due,
        wakeAt: due,
      }
    })
    for (let i = 0; i < drafts.length; i += 1000) {
      await database.db
        .insertInto('schedulerDraft')
        .values(drafts.slice(i, i + 1000))
        .execute()
    }
    await sql`analyze`.execute(database.db)
    log(
      `${DRAFTS} drafts of ${USERS} users on ${hosts.length} stand-in hosts, due over ${SPREAD_MS / 1000} s`,
    )

    const port = await freePort()
    const cfg = readConfig({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SERVICE_DID: 'did:web:bench.sundial.test',
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      JETSTREAM_URL: jetstream.subscribeUrl,
      ENCRYPTION_KEY: KEY,
      CONFIRM_TIMEOUT_SECONDS: '3600',
      LOG_LEVEL: 'warn',
      MAX_DRAFTS_PER_USER: String(DRAFTS),
    })
    service = await SchedulerService.create(cfg, { database })
    if (Date.now() > firstDue - 1000) throw new Error('setup took longer than BENCH_LEAD_MS; raise it')
    await service.start()

    const deadline = firstDue + SPREAD_MS + 120_000
    let lateness: number[] = []
    while (lateness.length < DRAFTS) {
      await new Promise((resolve) => setTimeout(resolve, 1000))
      lateness = (await (await fetch(`${hosts[0]}/results`)).json()) as number[]
      if (Date.now() > deadline) throw new Error(`only ${lateness.length} of ${DRAFTS} writes arrived`)
    }
    const published = await database.db
      .selectFrom('schedulerDraft')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('status', '=', 'published')
      .executeTakeFirstOrThrow()
    log(`${published.n} drafts recorded as published`)
    if (process.env.BENCH_SLICES) {
      // Lateness by tenth of the run, in arrival order: shows whether the tail is warm-up or steady.
      const slice = Math.ceil(lateness.length / 10)
      for (let i = 0; i < lateness.length; i += slice) {
        const part = lateness.slice(i, i + slice).sort((a, b) => a - b)
        log(
          `slice ${i / slice}: p50 ${part[Math.floor(part.length / 2)]} p99 ${part[Math.floor(part.length * 0.99)]} max ${part[part.length - 1]}`,
        )
      }
    }
    lateness.sort((a, b) => a - b)
    const q = (p: number) => lateness[Math.min(lateness.length - 1, Math.floor(p * lateness.length))]
    process.stdout.write(
      JSON.stringify({
        due: lateness.length,
        p50LatenessMs: q(0.5),
        p99LatenessMs: q(0.99),
        maxLatenessMs: lateness[lateness.length - 1],
      }) + '\n',
    )
  } finally {
    await service?.destroy()
    await jetstream.close()
    await database.close()
    await cluster.stop()
    await rm(dataDir, { recursive: true, force: true })
    child.kill()
  }
}

if (process.argv.includes('--serve')) await serve()
else await main()
