import { CamelCasePlugin, Kysely, Migrator, PostgresDialect } from 'kysely'
import type { Transaction } from 'kysely'
import pg from 'pg'
import { migrations } from '../../../../migrations/index.ts'
import type { DatabaseSchema } from './schema/index.ts'

export type Db = Kysely<DatabaseSchema>
export type DbTx = Transaction<DatabaseSchema>

// timestamptz and bigint come back as Date and string by default; keep bigint as string (it can exceed 2^53
// in principle) and let callers convert.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v)

export interface DatabaseOptions {
  url: string
  /** Connections in the pool. Default 10. */
  poolSize?: number
  /** Application name shown in pg_stat_activity. */
  name?: string
}

export interface Database {
  db: Db
  pool: pg.Pool
  close(): Promise<void>
}

export function createDatabase(opts: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    application_name: opts.name ?? 'sundial',
  })
  // A client losing its connection (e.g. a Postgres restart) must not crash the process: idle clients report on
  // the pool, clients checked out in a transaction on themselves; the query under way fails and is retried or
  // reported by its caller.
  pool.on('error', () => undefined)
  pool.on('connect', (client) => client.on('error', () => undefined))
  const db = new Kysely<DatabaseSchema>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new CamelCasePlugin()],
  })
  return {
    db,
    pool,
    close: () => db.destroy(),
  }
}

export interface MigrationOutcome {
  applied: string[]
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown> | Db): Promise<MigrationOutcome> {
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`)
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) }
}
