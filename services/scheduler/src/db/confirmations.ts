import type { Insertable, Selectable } from 'kysely'
import type { Db, DbTx, SchedulerConfirmationTable } from '@sundial/common'

export type ConfirmationRow = Selectable<SchedulerConfirmationTable>

export async function insertConfirmations(tx: DbTx, rows: Insertable<SchedulerConfirmationTable>[]) {
  if (rows.length === 0) return
  await tx.insertInto('schedulerConfirmation').values(rows).execute()
}

/** Every expected commit not seen yet (the set the Jetstream subscription watches for). */
export async function pendingConfirmations(db: Db): Promise<ConfirmationRow[]> {
  return db.selectFrom('schedulerConfirmation').selectAll().where('seenAt', 'is', null).execute()
}

export async function pendingConfirmationsForDraft(db: Db, draftId: string): Promise<ConfirmationRow[]> {
  return db
    .selectFrom('schedulerConfirmation')
    .selectAll()
    .where('draftId', '=', draftId)
    .where('seenAt', 'is', null)
    .execute()
}

/** Ticks off seen commits; returns the drafts all of whose commits have now been seen. */
export async function markSeen(
  tx: DbTx,
  seen: Array<{ draftId: string; idx: number; seenAt: Date }>,
): Promise<string[]> {
  const done = new Set<string>()
  for (const s of seen) {
    const row = await tx
      .updateTable('schedulerConfirmation')
      .set({ seenAt: s.seenAt })
      .where('draftId', '=', s.draftId)
      .where('idx', '=', s.idx)
      .where('seenAt', 'is', null)
      .returning('draftId')
      .executeTakeFirst()
    if (row) done.add(row.draftId)
  }
  if (done.size === 0) return []
  const open = await tx
    .selectFrom('schedulerConfirmation')
    .select('draftId')
    .distinct()
    .where('draftId', 'in', [...done])
    .where('seenAt', 'is', null)
    .execute()
  for (const r of open) done.delete(r.draftId)
  return [...done]
}
