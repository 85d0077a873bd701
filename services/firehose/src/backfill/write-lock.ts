import { sql } from 'kysely'
import { WRITERS_LOCK_KEY } from '@sundial/common'
import type { DbTx } from '@sundial/common'

// Holding the writers' lock (WRITERS_LOCK_KEY) exclusively makes a backfill transaction run alone: between its
// tombstone check and its inserts no live delete can commit, which is what keeps a deleted record from coming back.

/**
 * Call first in a backfill transaction; the live writer waits for it (and it for the live writer). Its commit
 * need not wait for the write-ahead log to reach disk: nothing depends on a backfill write being durable until
 * its job is marked done, and that commit (which waits) flushes the log up to and including this one. A crash
 * before then loses at most writes the job, still running, redoes.
 */
export async function holdWritersExclusive(tx: DbTx): Promise<void> {
  await sql`select pg_advisory_xact_lock(${WRITERS_LOCK_KEY}), set_config('synchronous_commit', 'off', true)`.execute(
    tx,
  )
}
