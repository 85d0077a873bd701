import { sql } from 'kysely'
import type { Selectable } from 'kysely'
import type { Db, DbTx, SchedulerBlobTable } from '@sundial/common'

export type BlobRow = Selectable<SchedulerBlobTable>

/** How long an upload no draft references is kept (a client uploads, then creates its record). */
export const UNREFERENCED_BLOB_TTL_MS = 24 * 60 * 60 * 1000

export async function putBlob(
  db: Db,
  blob: { ownerDid: string; cid: string; mimeType: string; bytes: Buffer },
): Promise<void> {
  const expires = new Date(Date.now() + UNREFERENCED_BLOB_TTL_MS)
  await db
    .insertInto('schedulerBlob')
    .values({ ...blob, size: blob.bytes.length, unreferencedExpiresAt: expires })
    .onConflict((oc) =>
      oc
        .columns(['ownerDid', 'cid'])
        .doUpdateSet({ mimeType: blob.mimeType, unreferencedExpiresAt: expires }),
    )
    .execute()
  // Housekeeping on the write path instead of a timer: this owner's stale, unreferenced uploads.
  await deleteUnreferencedBlobs(db, blob.ownerDid, { expiredOnly: true })
}

export async function getBlobs(db: Db, ownerDid: string, cids: string[]): Promise<BlobRow[]> {
  if (cids.length === 0) return []
  return db
    .selectFrom('schedulerBlob')
    .selectAll()
    .where('ownerDid', '=', ownerDid)
    .where('cid', 'in', cids)
    .execute()
}

export async function knownBlobCids(db: Db | DbTx, ownerDid: string, cids: string[]): Promise<Set<string>> {
  if (cids.length === 0) return new Set()
  const rows = await db
    .selectFrom('schedulerBlob')
    .select('cid')
    .where('ownerDid', '=', ownerDid)
    .where('cid', 'in', cids)
    .execute()
  return new Set(rows.map((r) => r.cid))
}

/**
 * Drops this owner's blobs that no unfinished draft or schedule references: after a publish commits
 * (`expiredOnly` false, limited to `cids`) or, for abandoned uploads, once their grace period is over.
 */
export async function deleteUnreferencedBlobs(
  db: Db | DbTx,
  ownerDid: string,
  opts: { expiredOnly: boolean; cids?: string[] },
): Promise<void> {
  if (opts.cids && opts.cids.length === 0) return
  await sql`
    delete from scheduler_blob b
    where b.owner_did = ${ownerDid}
      ${opts.cids ? sql`and b.cid = any(${opts.cids}::text[])` : sql``}
      ${opts.expiredOnly ? sql`and b.unreferenced_expires_at < now()` : sql``}
      and not exists (
        select 1 from scheduler_draft d
        where d.owner_did = b.owner_did
          and d.status in ('draft', 'scheduled', 'publishing', 'failed')
          and b.cid = any(d.blob_cids)
      )
      and not exists (
        select 1 from scheduler_schedule s
        where s.owner_did = b.owner_did and s.status = 'active' and b.cid = any(s.blob_cids)
      )
  `.execute(db)
}
