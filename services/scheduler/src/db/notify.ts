import { sql } from 'kysely'
import type { Db, DbTx } from '@sundial/common'

/** Postgres channel carrying "a draft became actionable at <ms>" to every scheduler replica. */
export const WAKE_CHANNEL = 'sundial_scheduler_wake'
/** Channel carrying "writes by <did> now await confirmation". */
export const CONFIRM_CHANNEL = 'sundial_scheduler_confirm'
/** Channel carrying "the webhook outbox has work at <ms>". */
export const OUTBOX_CHANNEL = 'sundial_scheduler_outbox'

/** Delivered on commit (NOTIFY is transactional), so listeners never see rows that are not there yet. */
export async function notify(db: Db | DbTx, channel: string, payload: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(db)
}
