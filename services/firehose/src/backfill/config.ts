import { envInt, envString, envUrl } from '@sundial/common'
import type { Env } from '@sundial/common'

/**
 * Backfill and gap recovery. Every variable, its default and meaning:
 *
 * - `BACKFILL_ENABLED` (`true`): run the backfill worker inside the firehose service.
 * - `PLC_URL` (`https://plc.directory`): PLC directory used to resolve `did:plc` accounts to their PDS
 *   (`did:web` is resolved over HTTPS).
 * - `BACKFILL_DAYS` (`30`): how far back posts, reposts and likes are fetched, by their `createdAt`; `all` means
 *   no limit. Follows and the profile are always fetched whole.
 * - `BACKFILL_CONCURRENCY` (`8`): accounts backfilled at the same time, overall.
 * - `BACKFILL_CONCURRENCY_PER_HOST` (`4`): accounts read at the same time from one PDS host (an account's slot is
 *   released once its repo is fetched, while it is written).
 * - `BACKFILL_MAX_ATTEMPTS` (`8`): attempts before a job is marked failed.
 * - `BACKFILL_RETRY_BASE_MS` (`5000`) / `BACKFILL_RETRY_MAX_MS` (`3600000`): backoff after a failed attempt,
 *   doubling from the base up to the maximum.
 * - `BACKFILL_LEASE_SECONDS` (`60`): how long a claimed job stays reserved without renewal; a crashed worker's
 *   jobs are picked up again once their lease runs out.
 * - `BACKFILL_FETCH_TIMEOUT_MS` (`120000`): longest a single request to a PDS (or PLC) may take; for a repo CAR,
 *   which is read only as fast as its records are written, the longest wait for its next bytes.
 * - `BACKFILL_MAX_CAR_BYTES` (`268435456` = 256 MiB): a repo CAR larger than this is not held in memory; the
 *   account is read page by page with `com.atproto.repo.listRecords` instead.
 * - `BACKFILL_BATCH_SIZE` (`2000`): records written per transaction.
 * - `BACKFILL_MAX_BUFFERED_BYTES` (`8388608` = 8 MiB): records read from PDSes and not yet written, over every
 *   account, in encoded bytes; past it, reading waits for writing (each account may always have one unit).
 * - `JETSTREAM_REPLAY_WINDOW_HOURS` (`24`): how far back Jetstream can replay. A stored cursor older than this
 *   at start-up (or a jump in the stream longer than this) means events were lost: every local user and every
 *   account they follow is backfilled again.
 */
export interface BackfillConfig {
  plcUrl: string
  /** Days of posts/reposts/likes to fetch; null for everything. */
  days: number | null
  concurrency: number
  concurrencyPerHost: number
  maxAttempts: number
  retryBaseMs: number
  retryMaxMs: number
  leaseSeconds: number
  fetchTimeoutMs: number
  maxCarBytes: number
  batchSize: number
  maxBufferedBytes: number
  replayWindowHours: number
}

export const DEFAULT_PLC_URL = 'https://plc.directory'

/** The backfill settings, or undefined when `BACKFILL_ENABLED` is false. */
export function readBackfillConfig(env: Env): BackfillConfig | undefined {
  const enabled = envString(env, 'BACKFILL_ENABLED', 'true')!
  if (!/^(1|true|yes|on|0|false|no|off)$/i.test(enabled)) {
    throw new Error(`BACKFILL_ENABLED must be true or false, got "${enabled}"`)
  }
  if (/^(0|false|no|off)$/i.test(enabled)) return undefined
  return {
    plcUrl: envUrl(env, 'PLC_URL', DEFAULT_PLC_URL)!,
    days: readDays(env),
    concurrency: envInt(env, 'BACKFILL_CONCURRENCY', 8, 1),
    concurrencyPerHost: envInt(env, 'BACKFILL_CONCURRENCY_PER_HOST', 4, 1),
    maxAttempts: envInt(env, 'BACKFILL_MAX_ATTEMPTS', 8, 1),
    retryBaseMs: envInt(env, 'BACKFILL_RETRY_BASE_MS', 5000, 1),
    retryMaxMs: envInt(env, 'BACKFILL_RETRY_MAX_MS', 3_600_000, 1),
    leaseSeconds: envInt(env, 'BACKFILL_LEASE_SECONDS', 60, 1),
    fetchTimeoutMs: envInt(env, 'BACKFILL_FETCH_TIMEOUT_MS', 120_000, 100),
    maxCarBytes: envInt(env, 'BACKFILL_MAX_CAR_BYTES', 256 * 1024 * 1024, 1024),
    batchSize: envInt(env, 'BACKFILL_BATCH_SIZE', 2000, 1),
    maxBufferedBytes: envInt(env, 'BACKFILL_MAX_BUFFERED_BYTES', 8 * 1024 * 1024, 1024),
    replayWindowHours: envInt(env, 'JETSTREAM_REPLAY_WINDOW_HOURS', 24, 1),
  }
}

function readDays(env: Env): number | null {
  const raw = envString(env, 'BACKFILL_DAYS', '30')!
  if (raw.toLowerCase() === 'all') return null
  return envInt(env, 'BACKFILL_DAYS', 30, 1)
}
