import { randomBytes } from 'node:crypto'
import type { DbTx } from '@sundial/common'
import { notifyEarliest } from '../db/drafts.ts'
import type { DraftRow } from '../db/drafts.ts'
import { updateSchedule } from '../db/schedules.ts'
import type { ScheduleRow } from '../db/schedules.ts'
import { collectBlobCids } from '../records/blob-refs.ts'
import { recordCid } from '../records/record-cid.ts'
import type { JsonRecord } from '../records/record-cid.ts'
import type { TidGenerator } from '../records/tid.ts'
import { Recurrence } from '../recurrence/recurrence.ts'
import type { PlannedOccurrence, ScheduleException } from '../recurrence/recurrence.ts'

export function newId(): string {
  return randomBytes(12).toString('base64url')
}

export function recurrenceOf(schedule: ScheduleRow): Recurrence {
  const parsed = Recurrence.parse({
    rrule: schedule.rrule,
    timezone: schedule.timezone,
    start: schedule.dtstartLocal,
    exceptions: (schedule.exceptions as ScheduleException[]) ?? [],
  })
  // Stored rules were validated on the way in.
  if (!parsed.ok) throw new Error(`schedule ${schedule.id}: ${parsed.message}`)
  return parsed.recurrence
}

/**
 * Materialises the schedule's next occurrence as a scheduled draft (or marks the schedule completed when
 * the rule is exhausted). Runs inside the caller's transaction, so when it chains from a publish the next
 * occurrence exists exactly when the publish is recorded. Occurrences that fell due while nothing ran are
 * skipped (`notBefore`), rather than published in a burst.
 */
export async function planNextOccurrence(
  tx: DbTx,
  tids: TidGenerator,
  schedule: ScheduleRow,
  opts: { afterOccurrence: Date; notBefore: Date; countFire: boolean },
): Promise<DraftRow | null> {
  const recurrence = recurrenceOf(schedule)
  const fireCount = schedule.fireCount + (opts.countFire ? 1 : 0)
  let after = opts.afterOccurrence
  // An occurrence that already has a draft (published earlier, or being published) is passed over.
  for (let tries = 0; tries < 1000; tries++) {
    const next = recurrence.next(after, opts.notBefore)
    if (!next) {
      await updateSchedule(tx, schedule.id, { status: 'completed', nextOccurrenceAt: null, fireCount })
      return null
    }
    const draft = await insertOccurrence(tx, tids, schedule, next)
    if (draft) {
      await updateSchedule(tx, schedule.id, { nextOccurrenceAt: next.publishAt, fireCount })
      await notifyEarliest(tx, [next.publishAt])
      return draft
    }
    after = next.occurrenceAt
  }
  throw new Error(`schedule ${schedule.id}: no free occurrence found`)
}

async function insertOccurrence(
  tx: DbTx,
  tids: TidGenerator,
  schedule: ScheduleRow,
  next: PlannedOccurrence,
): Promise<DraftRow | undefined> {
  const record = (next.record ?? (schedule.record as JsonRecord | null)) as JsonRecord | null
  const rkey = tids.next()
  const withType = record ? { ...record, $type: record.$type ?? schedule.collection } : null
  return tx
    .insertInto('schedulerDraft')
    .values({
      id: newId(),
      ownerDid: schedule.ownerDid,
      status: 'scheduled',
      operation: 'create',
      collection: schedule.collection,
      rkey,
      uri: `at://${schedule.ownerDid}/${schedule.collection}/${rkey}`,
      record: withType ? JSON.stringify(withType) : null,
      draftCid: withType ? await recordCid(withType) : null,
      keepCreatedAt: schedule.keepCreatedAt,
      blobCids: withType ? collectBlobCids(withType) : [],
      scheduledAt: next.publishAt,
      nextAttemptAt: next.publishAt,
      wakeAt: next.publishAt,
      scheduleId: schedule.id,
      occurrenceAt: next.occurrenceAt,
    })
    .onConflict((oc) =>
      oc.columns(['scheduleId', 'occurrenceAt']).where('scheduleId', 'is not', null).doNothing(),
    )
    .returningAll()
    .executeTakeFirst()
}

/** Drops the schedule's unpublished occurrence (it is re-planned from the changed schedule). */
export async function dropPendingOccurrence(tx: DbTx, scheduleId: string): Promise<void> {
  await tx
    .deleteFrom('schedulerDraft')
    .where('scheduleId', '=', scheduleId)
    .where('status', 'in', ['draft', 'scheduled'])
    .execute()
}
