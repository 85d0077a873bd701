import type { Insertable, Selectable } from 'kysely'
import type { Db, DbTx, SchedulerCredentialTable } from '@sundial/common'

export type CredentialRow = Selectable<SchedulerCredentialTable>

export async function getCredential(db: Db | DbTx, did: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('schedulerCredential').selectAll().where('did', '=', did).executeTakeFirst()
}

export async function upsertCredential(
  db: Db | DbTx,
  row: Insertable<SchedulerCredentialTable>,
): Promise<void> {
  await db
    .insertInto('schedulerCredential')
    .values(row)
    .onConflict((oc) =>
      oc.column('did').doUpdateSet({
        kind: row.kind,
        pdsUrl: row.pdsUrl,
        identifier: row.identifier ?? null,
        secretEnc: row.secretEnc ?? null,
        sessionEnc: row.sessionEnc ?? null,
        status: 'active',
        lastError: null,
        updatedAt: new Date(),
      }),
    )
    .execute()
}

export async function saveSession(db: Db, did: string, sessionEnc: Buffer | null): Promise<void> {
  await db
    .updateTable('schedulerCredential')
    .set({ sessionEnc, updatedAt: new Date() })
    .where('did', '=', did)
    .execute()
}

/** Marks the credential unusable with the reason; drafts fail with it until the user registers again. */
export async function revokeCredential(db: Db, did: string, reason: string): Promise<void> {
  await db
    .updateTable('schedulerCredential')
    .set({ status: 'revoked', lastError: reason, sessionEnc: null, updatedAt: new Date() })
    .where('did', '=', did)
    .execute()
}

export async function deleteCredential(db: Db, did: string): Promise<void> {
  await db.deleteFrom('schedulerCredential').where('did', '=', did).execute()
}
