import { sql } from 'kysely'
import type { Db, DbTx } from '@sundial/common'

export const CURSOR_NAME = 'firehose'

/** The stored cursor: `time_us` of the newest event whose rows are committed. */
export async function readCursor(db: Db, name = CURSOR_NAME): Promise<number | undefined> {
  const row = await db.selectFrom('cursor').select('timeUs').where('name', '=', name).executeTakeFirst()
  return row ? Number(row.timeUs) : undefined
}

/**
 * Written in the transaction that commits the rows it covers. It never moves back: after a restart the rewound
 * replay re-applies events the cursor already covers.
 */
export async function writeCursor(tx: DbTx, timeUs: number, name = CURSOR_NAME): Promise<void> {
  await sql`
    insert into cursor (name, time_us) values (${name}, ${timeUs})
    on conflict (name) do update set time_us = greatest(cursor.time_us, excluded.time_us), updated_at = now()
  `.execute(tx)
}
