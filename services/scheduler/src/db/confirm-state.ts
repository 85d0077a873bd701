import { sql } from 'kysely'
import type { Db } from '@sundial/common'
import { markSeen } from './confirmations.ts'
import type { DraftRow } from './drafts.ts'
import { enqueueWebhook } from './outbox.ts'

/**
 * Records commits seen on Jetstream and moves drafts whose every commit was seen to `confirmed`, with the
 * webhook event, in one transaction. Returns the drafts confirmed now.
 */
export async function recordSeen(
  db: Db,
  seen: Array<{ draftId: string; idx: number; seenAt: Date }>,
  webhooks: boolean,
): Promise<DraftRow[]> {
  return db.transaction().execute(async (tx) => {
    const done = await markSeen(tx, seen)
    if (done.length === 0) return []
    const confirmedAt = new Map<string, Date>()
    for (const s of seen) {
      const prev = confirmedAt.get(s.draftId)
      if (!prev || prev < s.seenAt) confirmedAt.set(s.draftId, s.seenAt)
    }
    const rows: DraftRow[] = []
    for (const id of done) {
      const at = confirmedAt.get(id) ?? new Date()
      const row = await tx
        .updateTable('schedulerDraft')
        .set({
          status: 'confirmed',
          confirmState: 'confirmed',
          confirmedAt: at,
          confirmNote: null,
          updatedAt: new Date(),
        })
        .where('id', '=', id)
        .where('status', '=', 'published')
        .returningAll()
        .executeTakeFirst()
      if (!row) continue
      rows.push(row)
      if (webhooks) {
        await enqueueWebhook(tx, 'confirmed', id, {
          draftId: id,
          uri: row.publishedUri,
          cid: row.publishedCid,
          publishedAt: row.publishedAt,
          confirmedAt: at,
        })
      }
    }
    return rows
  })
}

/** Marks a publish that Jetstream has not shown within the timeout as unconfirmed, with what the PDS says. */
export async function markUnconfirmed(db: Db, draftId: string, note: string): Promise<boolean> {
  const res = await db
    .updateTable('schedulerDraft')
    .set({ confirmState: 'unconfirmed', confirmNote: note, updatedAt: new Date() })
    .where('id', '=', draftId)
    .where('status', '=', 'published')
    .executeTakeFirst()
  return Number(res.numUpdatedRows) > 0
}

/** Owners of drafts being published right now, and since when (for replay after a restart). */
export async function publishingOwners(db: Db): Promise<Array<{ ownerDid: string; since: Date }>> {
  const rows = await db
    .selectFrom('schedulerDraft')
    .select(['ownerDid', sql<Date>`min(updated_at)`.as('since')])
    .where('status', '=', 'publishing')
    .groupBy('ownerDid')
    .execute()
  return rows.map((r) => ({ ownerDid: r.ownerDid, since: new Date(r.since) }))
}
