import path from 'node:path'
import { createDatabase } from './database.ts'
import type { Database } from './database.ts'
import { startEmbeddedPostgres } from './embedded.ts'
import type { Env } from '../env.ts'
import { envInt, envString } from '../env.ts'

export interface DatabaseConfig {
  /** postgres:// URL; when unset an embedded Postgres is started under `dataDir`. */
  url?: string
  /** Sundial's data directory (embedded Postgres lives in `<dataDir>/postgres`). */
  dataDir: string
  /** Port for the embedded Postgres. */
  embeddedPort: number
  poolSize: number
}

export function readDatabaseConfig(env: Env): DatabaseConfig {
  return {
    url: envString(env, 'DATABASE_URL'),
    dataDir: envString(env, 'DATA_DIR', './data')!,
    embeddedPort: envInt(env, 'EMBEDDED_PG_PORT', 5433, 1),
    poolSize: envInt(env, 'DATABASE_POOL_SIZE', 10, 1),
  }
}

/** Connects to DATABASE_URL, or starts the embedded Postgres first; `close()` stops what it started. */
export async function openDatabase(cfg: DatabaseConfig, name: string): Promise<Database> {
  if (cfg.url) return createDatabase({ url: cfg.url, poolSize: cfg.poolSize, name })
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(cfg.dataDir, 'postgres'),
    port: cfg.embeddedPort,
  })
  // The embedded cluster is on this machine: its Unix socket saves the TCP loopback work on every round trip.
  const database = createDatabase({ url: embedded.socketUrl ?? embedded.url, poolSize: cfg.poolSize, name })
  return {
    ...database,
    close: async () => {
      await database.close()
      await embedded.stop()
    },
  }
}
