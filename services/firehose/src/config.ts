import { envInt, envString, envUrl, readDatabaseConfig } from '@sundial/common'
import type { DatabaseConfig, Env } from '@sundial/common'
import { readBackfillConfig } from './backfill/config.ts'
import type { BackfillConfig } from './backfill/config.ts'

export type IndexScope = 'all' | 'local'

/**
 * Firehose configuration. Every variable, its default and meaning:
 *
 * - `DATABASE_URL` (unset): Postgres URL; unset starts the embedded Postgres under `DATA_DIR`.
 * - `DATA_DIR` (`./data`): where the embedded Postgres keeps its cluster. `EMBEDDED_PG_PORT` (5433) and
 *   `DATABASE_POOL_SIZE` (10) as in @sundial/common.
 * - `JETSTREAM_URL` (`wss://jetstream2.us-east.bsky.network/subscribe`): the Jetstream `/subscribe` endpoint.
 * - `FIREHOSE_WRITERS` (2): writer lanes, each with its own Postgres connection and transactions. Events are
 *   spread over them by a hash of their DID (one account's events stay in order on one lane); the stored cursor
 *   is the smallest lane's. 1 writes everything on one connection.
 * - `FIREHOSE_BATCH_SIZE` (5000): most events written in one transaction (per lane). Larger batches share more
 *   count updates (several likes of one post become one `post_agg` row) and statements; bench:ingest measured
 *   ≈ 9 % more events/s for 2,500 → 5,000 and ≈ 30 MB more peak memory.
 * - `FIREHOSE_BATCH_MS` (100): longest an event waits for its batch to fill before it is written anyway.
 * - `FIREHOSE_QUEUE_MAX` (20000): events held in memory (received, not yet committed); reading from the socket
 *   pauses above it and resumes below half of it.
 * - `FIREHOSE_QUEUE_MAX_BYTES` (33554432 = 32 MiB): the same bound in frame bytes, for floods of large records.
 * - `FIREHOSE_REWIND_SECONDS` (10): on restart, resume this far before the stored cursor. Replays are
 *   idempotent; the margin covers Jetstream instances whose clocks differ.
 * - `FIREHOSE_START_CURSOR` (unset): `time_us` to start from when no cursor is stored yet; unset starts live.
 * - `FIREHOSE_MAX_RECORD_BYTES` (131072 = 128 KiB): events whose frame is larger are counted as `oversized`
 *   and skipped. The largest valid post or profile is a few KiB, so this only drops junk.
 * - `INDEX_SCOPE` (`all`): `all` indexes the whole stream; `local` only records by local users and the accounts
 *   they follow (cheaper for a small community; likes by others on local posts are then not counted).
 * - `FIREHOSE_SCOPE_REFRESH_MS` (10000): in `local` scope, how often the set of local users is re-read.
 * - `FIREHOSE_STATS_MS` (2000): how often live numbers are published on the bus for the dashboard.
 * - `REDIS_URL` (unset): Redis for the bus; unset keeps the bus in-process.
 * - `PORT` (3100): HTTP port for `/xrpc/_health` and `/metrics` when run alone.
 * - `LOG_LEVEL` (`info`): pino level.
 * - `BACKFILL_*`, `PLC_URL`, `JETSTREAM_REPLAY_WINDOW_HOURS`: the backfill worker, see backfill/config.ts.
 */
export interface FirehoseConfig {
  db: DatabaseConfig
  jetstreamUrl: string
  /** Writer lanes; absent, DEFAULT_WRITERS. */
  writers?: number
  batchSize: number
  batchMs: number
  queueMax: number
  queueMaxBytes: number
  rewindSeconds: number
  startCursor?: number
  maxRecordBytes: number
  indexScope: IndexScope
  scopeRefreshMs: number
  statsMs: number
  redisUrl?: string
  port: number
  logLevel: string
  /** The backfill worker's settings; absent, no backfill worker runs. */
  backfill?: BackfillConfig
}

export const DEFAULT_WRITERS = 2

export const DEFAULT_JETSTREAM_URL = 'wss://jetstream2.us-east.bsky.network/subscribe'

export function readConfig(env: Env): FirehoseConfig {
  const scope = envString(env, 'INDEX_SCOPE', 'all')
  if (scope !== 'all' && scope !== 'local')
    throw new Error(`INDEX_SCOPE must be "all" or "local", got "${scope}"`)
  const jetstreamUrl = envUrl(env, 'JETSTREAM_URL', DEFAULT_JETSTREAM_URL)!
  if (!/^wss?:$/.test(new URL(jetstreamUrl).protocol)) {
    throw new Error(`JETSTREAM_URL must be a ws:// or wss:// URL, got "${jetstreamUrl}"`)
  }
  const startCursor = envString(env, 'FIREHOSE_START_CURSOR')
  const batchSize = envInt(env, 'FIREHOSE_BATCH_SIZE', 5000, 1)
  const queueMax = envInt(env, 'FIREHOSE_QUEUE_MAX', 20_000, 1)
  if (batchSize > queueMax) {
    throw new Error(`FIREHOSE_BATCH_SIZE (${batchSize}) must not exceed FIREHOSE_QUEUE_MAX (${queueMax})`)
  }
  return {
    db: readDatabaseConfig(env),
    jetstreamUrl,
    writers: envInt(env, 'FIREHOSE_WRITERS', DEFAULT_WRITERS, 1),
    batchSize,
    batchMs: envInt(env, 'FIREHOSE_BATCH_MS', 100, 1),
    queueMax,
    queueMaxBytes: envInt(env, 'FIREHOSE_QUEUE_MAX_BYTES', 32 * 1024 * 1024, 1024),
    rewindSeconds: envInt(env, 'FIREHOSE_REWIND_SECONDS', 10, 0),
    startCursor: startCursor === undefined ? undefined : envInt(env, 'FIREHOSE_START_CURSOR', 0, 1),
    maxRecordBytes: envInt(env, 'FIREHOSE_MAX_RECORD_BYTES', 128 * 1024, 1024),
    indexScope: scope,
    scopeRefreshMs: envInt(env, 'FIREHOSE_SCOPE_REFRESH_MS', 10_000, 100),
    statsMs: envInt(env, 'FIREHOSE_STATS_MS', 2000, 100),
    redisUrl: envUrl(env, 'REDIS_URL'),
    port: envInt(env, 'PORT', 3100, 0),
    logLevel: envString(env, 'LOG_LEVEL', 'info')!,
    backfill: readBackfillConfig(env),
  }
}
