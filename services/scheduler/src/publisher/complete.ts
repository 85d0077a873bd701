import { sql } from 'kysely'
import type { Db, DbTx } from '@sundial/common'
import { deleteUnreferencedBlobs } from '../db/blobs.ts'
import { insertConfirmations } from '../db/confirmations.ts'
import { finishLeased } from '../db/drafts.ts'
import type { DraftRow } from '../db/drafts.ts'
import { CONFIRM_CHANNEL } from '../db/notify.ts'
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

export interface PublishedItem {
  draft: DraftRow
  result: { ops: PublishedOp[]; record: JsonRecord | null; note?: string; landedEarlier?: boolean }
  publishedAt: Date
  /** For a retry that found its record: the earliest moment an earlier attempt could have written it. */
  earliestWrite: Date
}

/**
 * Records acknowledged publishes, several at a time, in one transaction: each draft becomes `published` (or
 * `confirmed` when no commit will appear on Jetstream), its expected commits are stored for confirmation, its
 * webhook events are queued, its schedule's next occurrence is planned and blobs nothing else needs are
 * released. Returns the updated rows by draft id; a draft missing from it had lost its lease (another replica
 * took it over) and nothing was recorded for it.
 */
export async function completePublished(
  deps: CompletionDeps,
  items: PublishedItem[],
): Promise<Map<string, DraftRow>> {
  if (items.length === 0) return new Map()
  return deps.db.transaction().execute(async (tx) => {
    const patches = items.map(({ draft, result, publishedAt }) => {
      const awaiting = result.ops.some((op) => op.committed)
      const first = result.ops[0]
      return {
        id: draft.id,
        status: awaiting ? 'published' : 'confirmed',
        published_uri: first?.uri ?? draft.uri,
        published_cid: first?.cid ?? null,
        published_record: result.record,
        published_at: publishedAt.toISOString(),
        confirm_state: awaiting ? 'awaiting' : 'confirmed',
        confirmed_at: awaiting ? null : publishedAt.toISOString(),
        confirm_note: awaiting
          ? (result.note ?? null)
          : 'the write changed nothing on the PDS, so no commit is expected',
      }
    })
    const updated = await sql<DraftRow>`
      update scheduler_draft d
      set status = v.status, published_uri = v.published_uri, published_cid = v.published_cid,
          published_record = v.published_record, published_at = v.published_at, confirm_state = v.confirm_state,
          confirmed_at = v.confirmed_at, confirm_note = v.confirm_note, wake_at = null, next_attempt_at = null,
          last_error = null, lease_owner = null, lease_expires_at = null, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(patches)}::jsonb) as v(
        id text, status text, published_uri text, published_cid text, published_record jsonb,
        published_at timestamptz, confirm_state text, confirmed_at timestamptz, confirm_note text
      )
      where d.id = v.id and d.lease_owner = ${deps.leaseOwner} and d.status = 'publishing'
      returning d.*
    `.execute(tx)
    const rows = new Map(updated.rows.map((r) => [r.id, r]))
    const kept = items.filter((item) => rows.has(item.draft.id))
    await insertConfirmations(
      tx,
      kept.flatMap(({ draft, result, publishedAt, earliestWrite }) =>
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
      ),
    )
    for (const { draft, publishedAt } of kept) {
      const row = rows.get(draft.id)!
      if (deps.webhooks) {
        const payload = { draftId: draft.id, uri: row.publishedUri, cid: row.publishedCid, publishedAt }
        await enqueueWebhook(tx, 'published', draft.id, payload)
        if (row.status === 'confirmed') {
          await enqueueWebhook(tx, 'confirmed', draft.id, { ...payload, confirmedAt: publishedAt })
        }
      }
      await chainSchedule(tx, deps, draft, publishedAt)
      await deleteUnreferencedBlobs(tx, draft.ownerDid, { expiredOnly: false, cids: draft.blobCids })
    }
    const awaiting = kept.filter(({ draft }) => rows.get(draft.id)!.status === 'published')
    if (awaiting.length > 0) {
      // Other replicas start watching these accounts too (a replica that dies mid-way leaves them to others).
      await sql`
        select pg_notify(${CONFIRM_CHANNEL}, id || ' ' || ${deps.leaseOwner})
        from unnest(${awaiting.map(({ draft }) => draft.id)}::text[]) as id
      `.execute(tx)
    }
    return rows
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
