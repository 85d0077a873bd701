import { sql } from 'kysely'
import type { Db, DbTx } from '@sundial/common'

export const CURSOR_NAME = 'firehose'

/**
 * The stored cursor: `time_us` up to which every event's rows are committed. With parallel writer lanes this is
 * the smallest of the lanes' cursors, kept in the `firehose` row by every lane's commit (see writeLaneCursor).
 * 0 (lanes set up, nothing committed yet) reads as no cursor.
 */
export async function readCursor(db: Db, name = CURSOR_NAME): Promise<number | undefined> {
  const row = await db.selectFrom('cursor').select('timeUs').where('name', '=', name).executeTakeFirst()
  const timeUs = row ? Number(row.timeUs) : 0
  return timeUs > 0 ? timeUs : undefined
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

/** Cursor row of writer lane `index`: how far that lane has committed (its DIDs' events and cursor markers). */
export function laneCursorName(index: number): string {
  return `${CURSOR_NAME}/lane-${index}`
}

/**
 * Sets up the cursor rows of `lanes` writer lanes before any of them writes, and returns the stored cursor. The
 * `firehose` row (created at 0 if absent) is the resume point: the smallest lane cursor as of the latest commit.
 * Lane rows of an earlier run (perhaps with another lane count) are replaced by one row per lane at that value,
 * so the minimum is always taken over exactly the lanes now running.
 */
export async function prepareLaneCursors(db: Db, lanes: number): Promise<number | undefined> {
  return db.transaction().execute(async (tx) => {
    await sql`insert into cursor (name, time_us) values (${CURSOR_NAME}, 0) on conflict (name) do nothing`.execute(
      tx,
    )
    const { rows } = await sql<{ timeUs: string }>`
      select time_us from cursor where name = ${CURSOR_NAME} for update
    `.execute(tx)
    const stored = Number(rows[0].timeUs)
    await sql`delete from cursor where name like ${CURSOR_NAME + '/lane-%'}`.execute(tx)
    const names = Array.from({ length: lanes }, (_, i) => laneCursorName(i))
    await sql`
      insert into cursor (name, time_us) select name, ${stored} from unnest(${names}::text[]) as x(name)
    `.execute(tx)
    return stored > 0 ? stored : undefined
  })
}

export interface LaneCursor {
  /** This lane's cursor row. */
  name: string
  /** Every running lane's cursor row (this one included). */
  lanes: string[]
}

/**
 * A lane's commit: its own cursor row moves to `timeUs`, then the `firehose` row to the smallest lane cursor.
 * The `firehose` row is locked first and the minimum read by a second statement, which (read committed) sees
 * every lane that committed before the lock was granted; a lane committing later does the same after this one.
 * So after the last commit the `firehose` row is exactly the minimum over the lanes, never more. The lock is held
 * only between this and the commit.
 */
export async function writeLaneCursor(tx: DbTx, lane: LaneCursor, timeUs: number): Promise<void> {
  await sql`
    with lane as (
      update cursor set time_us = greatest(time_us, ${timeUs}), updated_at = now() where name = ${lane.name}
    )
    select 1 from cursor where name = ${CURSOR_NAME} for update
  `.execute(tx)
  await sql`
    update cursor set
      time_us = greatest(time_us, (select min(time_us) from cursor where name = any(${lane.lanes}::text[]))),
      updated_at = now()
    where name = ${CURSOR_NAME}
  `.execute(tx)
}
