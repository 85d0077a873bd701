import { envInt, readDatabaseConfig } from '@sundial/common'
import type { DatabaseConfig, Env } from '@sundial/common'
import { readConfig as readAppViewConfig } from '@sundial/appview'
import type { AppViewConfig } from '@sundial/appview'
import { readConfig as readFirehoseConfig } from '@sundial/firehose'
import type { FirehoseConfig } from '@sundial/firehose'
import { readConfig as readSchedulerConfig } from '@sundial/scheduler'
import type { SchedulerConfig } from '@sundial/scheduler'

/** The all-in-one process: every service on one PORT, over one database, bus and metrics registry. */
export interface SundialConfig {
  port: number
  db: DatabaseConfig
  appview: AppViewConfig
  firehose: FirehoseConfig
  scheduler: SchedulerConfig
}

export const DEFAULT_PORT = 2584

export function readConfig(env: Env): SundialConfig {
  const port = envInt(env, 'PORT', DEFAULT_PORT)
  // Each service reads the same variables; PORT is pinned so their defaults (PUBLIC_URL, SERVICE_DID) agree.
  const shared = { ...env, PORT: String(port) }
  return {
    port,
    db: readDatabaseConfig(env),
    appview: readAppViewConfig(shared),
    firehose: readFirehoseConfig(shared),
    scheduler: readSchedulerConfig(shared),
  }
}
