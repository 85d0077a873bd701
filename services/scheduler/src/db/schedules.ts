import type { Insertable, Selectable, Updateable } from 'kysely'
import type { Db, DbTx, SchedulerScheduleTable } from '@sundial/common'
import type { Keyset } from './pagination.ts'

export type ScheduleRow = Selectable<SchedulerScheduleTable>

export async function insertSchedule(
  tx: DbTx,
  row: Insertable<SchedulerScheduleTable>,
): Promise<ScheduleRow> {
  return tx.insertInto('schedulerSchedule').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function getOwnedSchedule(
  db: Db | DbTx,
  ownerDid: string,
  id: string,
  forUpdate = false,
): Promise<ScheduleRow | undefined> {
  let q = db.selectFrom('schedulerSchedule').selectAll().where('id', '=', id).where('ownerDid', '=', ownerDid)
  if (forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export async function getScheduleForUpdate(tx: DbTx, id: string): Promise<ScheduleRow | undefined> {
  return tx.selectFrom('schedulerSchedule').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export async function getSchedule(db: Db | DbTx, id: string): Promise<ScheduleRow | undefined> {
  return db.selectFrom('schedulerSchedule').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listOwnedSchedules(
  db: Db,
  ownerDid: string,
  opts: { limit: number; before?: Keyset },
): Promise<ScheduleRow[]> {
  let q = db.selectFrom('schedulerSchedule').selectAll().where('ownerDid', '=', ownerDid)
  if (opts.before) {
    const { createdAt, id } = opts.before
    q = q.where((eb) =>
      eb.or([eb('createdAt', '<', createdAt), eb.and([eb('createdAt', '=', createdAt), eb('id', '<', id)])]),
    )
  }
  return q.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(opts.limit).execute()
}

export async function updateSchedule(
  tx: DbTx,
  id: string,
  patch: Updateable<SchedulerScheduleTable>,
): Promise<ScheduleRow> {
  return tx
    .updateTable('schedulerSchedule')
    .set({ ...patch, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function deleteSchedule(tx: DbTx, id: string): Promise<void> {
  await tx.deleteFrom('schedulerSchedule').where('id', '=', id).execute()
}

/** The schedule's not-yet-published draft, if any. */
export async function pendingScheduleDraft(tx: DbTx | Db, scheduleId: string) {
  return tx
    .selectFrom('schedulerDraft')
    .selectAll()
    .where('scheduleId', '=', scheduleId)
    .where('status', 'in', ['draft', 'scheduled', 'publishing'])
    .orderBy('occurrenceAt', 'asc')
    .executeTakeFirst()
}

export async function pendingDraftIds(db: Db, scheduleIds: string[]): Promise<Map<string, string>> {
  if (scheduleIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('schedulerDraft')
    .select(['id', 'scheduleId'])
    .where('scheduleId', 'in', scheduleIds)
    .where('status', 'in', ['draft', 'scheduled', 'publishing'])
    .execute()
  return new Map(rows.map((r) => [r.scheduleId!, r.id]))
}
