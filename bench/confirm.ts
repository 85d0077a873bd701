// Confirmation latency: 500 scheduled posts published by the real scheduler to a local PDS (dev-env), seen on
// the project's Jetstream server relaying that PDS; time from the PDS acknowledging a write to the scheduler
// marking it `confirmed` (its URI and CID seen on its own Jetstream subscription).
//
//   npm run bench:confirm
//   BENCH_POSTS=200 npm run bench:confirm
//
// Everything runs on 127.0.0.1: PLC, PDS and Jetstream server (dev network), Postgres on tmpfs, and the scheduler
// in this process. Ten accounts register app passwords and create their posts through the scheduler's proxy
// (service-auth JWTs from the PDS), due over BENCH_SPREAD_MS. The latency is read back from the drafts:
// confirmed_at (commit seen on Jetstream) − published_at (PDS response received).
//
// Last stdout line: {"posts":N,"p50ConfirmMs":A,"p99ConfirmMs":B}
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { createTestDatabase, freePort, startDevNetwork, startTestCluster } from '@sundial/devnet'
import type { DevUser } from '@sundial/devnet'
import { readConfig } from '../services/scheduler/src/config.ts'
import { SchedulerService } from '../services/scheduler/src/index.ts'

const POSTS = intEnv('BENCH_POSTS', 500)
const USERS = intEnv('BENCH_USERS', 10)
const SPREAD_MS = intEnv('BENCH_SPREAD_MS', 20_000)
const WAIT_MS = intEnv('BENCH_WAIT_MS', 120_000)
const SERVICE_DID = 'did:web:bench.sundial.test'

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  return raw ? Number(raw) : fallback
}

function log(message: string) {
  process.stderr.write(`[bench:confirm] ${message}\n`)
}

async function call(
  url: string,
  user: DevUser,
  nsid: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const { data } = await user.agent.com.atproto.server.getServiceAuth({ aud: SERVICE_DID, lxm: nsid })
  const res = await fetch(`${url}/xrpc/${nsid}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${data.token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${nsid}: ${res.status} ${await res.text()}`)
  return (await res.json()) as Record<string, unknown>
}

async function main(): Promise<void> {
  const net = await startDevNetwork()
  const cluster = await startTestCluster(await freePort())
  const database = await createTestDatabase(cluster.adminUrl, 'bench_confirm')
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-confirm-'))
  let service: SchedulerService | undefined
  try {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const cfg = readConfig({
      PORT: String(port),
      PUBLIC_URL: url,
      SERVICE_DID,
      PLC_URL: net.plcUrl,
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      JETSTREAM_URL: net.jetstream.subscribeUrl,
      ENCRYPTION_KEY: 'c3'.repeat(32),
      CONFIRM_TIMEOUT_SECONDS: '600',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    })
    service = await SchedulerService.create(cfg, { database })
    await service.start()

    const users: DevUser[] = []
    for (let i = 0; i < USERS; i++) {
      const user = await net.createUser(`bench${i}`)
      const { data } = await user.agent.com.atproto.server.createAppPassword({ name: 'sundial' })
      await call(url, user, 'dev.sundial.scheduler.putAppPassword', { appPassword: data.password })
      users.push(user)
    }
    const firstDue = Date.now() + 5000 + POSTS * 15
    for (let i = 0; i < POSTS; i++) {
      const user = users[i % USERS]
      await call(
        url,
        user,
        'com.atproto.repo.createRecord',
        {
          repo: user.did,
          collection: 'app.bsky.feed.post',
          record: {
            $type: 'app.bsky.feed.post',
            text: `confirm bench ${i}`,
            createdAt: new Date().toISOString(),
          },
        },
        { 'x-scheduled-at': new Date(firstDue + Math.floor((i * SPREAD_MS) / POSTS)).toISOString() },
      )
    }
    if (Date.now() > firstDue) log('warning: drafts were still being created when the first fell due')
    log(`${POSTS} posts of ${USERS} accounts due over ${SPREAD_MS / 1000} s`)

    const deadline = firstDue + SPREAD_MS + WAIT_MS
    for (;;) {
      const row = await database.db
        .selectFrom('schedulerDraft')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('status', '=', 'confirmed')
        .executeTakeFirstOrThrow()
      if (Number(row.n) >= POSTS) break
      if (Date.now() > deadline) {
        const stuck = await database.db
          .selectFrom('schedulerDraft')
          .select([
            'id',
            'uri',
            'status',
            'scheduledAt',
            'publishedAt',
            'publishedCid',
            'attempts',
            'confirmNote',
          ])
          .where('status', '!=', 'confirmed')
          .limit(5)
          .execute()
        throw new Error(`only ${row.n} of ${POSTS} confirmed, e.g. ${JSON.stringify(stuck)}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const rows = await sql<{ ms: number }>`
      select extract(epoch from (confirmed_at - published_at)) * 1000 as ms from scheduler_draft order by 1
    `.execute(database.db)
    const ms = rows.rows.map((r) => Number(r.ms))
    const q = (p: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(p * ms.length))])
    process.stdout.write(
      JSON.stringify({ posts: ms.length, p50ConfirmMs: q(0.5), p99ConfirmMs: q(0.99) }) + '\n',
    )
  } finally {
    await service?.destroy()
    await database.close()
    await cluster.stop()
    await net.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

await main()
