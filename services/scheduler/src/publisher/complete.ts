import type { Db, DbTx } from '@sundial/common'
import { deleteUnreferencedBlobs } from '../db/blobs.ts'
import { insertConfirmations } from '../db/confirmations.ts'
import { finishLeased } from '../db/drafts.ts'
import type { DraftRow } from '../db/drafts.ts'
import { CONFIRM_CHANNEL, notify } from '../db/notify.ts'
import { enqueueWebhook } from '../db/outbox.ts'
import { getScheduleForUpdate } from '../db/schedules.ts'
import type { JsonRecord } from '../records/record-cid.ts'
import type { TidGenerator } from '../records/tid.ts'
import { planNextOccurrence } from '../schedules/planner.ts'
import type { PublishedOp } from './publish-draft.ts'

export interface CompletionDeps {
  db: Db
  tids: TidGenerator
  leaseOwner: string
  webhooks: boolean
}

/**
 * Records an acknowledged publish in one transaction: the draft becomes `published` (or `confirmed` when no
 * commit will appear on Jetstream), the expected commits are stored for confirmation, the webhook event is
 * queued, the schedule's next occurrence is planned, and blobs nothing else needs are released. Returns
 * undefined when this process no longer held the lease (another replica took the draft over).
 */
export async function completePublished(
  deps: CompletionDeps,
  draft: DraftRow,
  result: { ops: PublishedOp[]; record: JsonRecord | null; note?: string; landedEarlier?: boolean },
  publishedAt: Date,
  earliestWrite: Date = publishedAt,
): Promise<DraftRow | undefined> {
  return deps.db.transaction().execute(async (tx) => {
    const awaiting = result.ops.some((op) => op.committed)
    const first = result.ops[0]
    const row = await finishLeased(tx, draft.id, deps.leaseOwner, {
      status: awaiting ? 'published' : 'confirmed',
      publishedUri: first?.uri ?? draft.uri,
      publishedCid: first?.cid ?? null,
      publishedRecord: result.record ? JSON.stringify(result.record) : null,
      publishedAt,
      confirmState: awaiting ? 'awaiting' : 'confirmed',
      confirmedAt: awaiting ? null : publishedAt,
      confirmNote: awaiting
        ? (result.note ?? null)
        : 'the write changed nothing on the PDS, so no commit is expected',
      wakeAt: null,
      nextAttemptAt: null,
      lastError: null,
    })
    if (!row) return undefined
    await insertConfirmations(
      tx,
      result.ops.map((op, idx) => ({
        draftId: draft.id,
        idx,
        ownerDid: draft.ownerDid,
        uri: op.uri,
        cid: op.cid,
        action: op.action,
        // Where a Jetstream replay must start to see this commit: an earlier attempt may have made it.
        publishedAt: result.landedEarlier ? earliestWrite : publishedAt,
        seenAt: op.committed ? null : publishedAt,
      })),
    )
    if (deps.webhooks) {
      const payload = { draftId: draft.id, uri: row.publishedUri, cid: row.publishedCid, publishedAt }
      await enqueueWebhook(tx, 'published', draft.id, payload)
      if (!awaiting) await enqueueWebhook(tx, 'confirmed', draft.id, { ...payload, confirmedAt: publishedAt })
    }
    await chainSchedule(tx, deps, draft, publishedAt)
    await deleteUnreferencedBlobs(tx, draft.ownerDid, { expiredOnly: false, cids: draft.blobCids })
    if (awaiting) await notify(tx, CONFIRM_CHANNEL, draft.id)
    return row
  })
}

/** Puts the draft back in line for another attempt at `retryAt`. */
export async function completeRetry(deps: CompletionDeps, draft: DraftRow, retryAt: Date, reason: string) {
  return deps.db.transaction().execute((tx) =>
    finishLeased(tx, draft.id, deps.leaseOwner, {
      status: 'scheduled',
      nextAttemptAt: retryAt,
      wakeAt: retryAt,
      lastError: reason,
      failures: draft.failures + 1,
    }),
  )
}

/** Fails the draft for good with its reason; a recurring schedule still moves on to its next occurrence. */
export async function completeFailed(deps: CompletionDeps, draft: DraftRow, reason: string, now: Date) {
  return deps.db.transaction().execute(async (tx) => {
    const row = await finishLeased(tx, draft.id, deps.leaseOwner, {
      status: 'failed',
      failures: draft.failures + 1,
      wakeAt: null,
      nextAttemptAt: null,
      lastError: reason,
    })
    if (!row) return undefined
    if (deps.webhooks) {
      await enqueueWebhook(tx, 'failed', draft.id, {
        draftId: draft.id,
        uri: draft.uri,
        error: reason,
        failedAt: now,
      })
    }
    await chainSchedule(tx, deps, draft, now)
    return row
  })
}

async function chainSchedule(tx: DbTx, deps: CompletionDeps, draft: DraftRow, now: Date): Promise<void> {
  if (!draft.scheduleId || !draft.occurrenceAt) return
  const schedule = await getScheduleForUpdate(tx, draft.scheduleId)
  if (!schedule || schedule.status !== 'active' || schedule.paused) return
  await planNextOccurrence(tx, deps.tids, schedule, {
    afterOccurrence: draft.occurrenceAt,
    notBefore: now,
    countFire: true,
  })
}
