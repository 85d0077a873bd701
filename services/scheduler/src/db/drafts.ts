import { sql } from 'kysely'
import type { Insertable, Selectable, Updateable } from 'kysely'
import type { Db, DbTx, DraftStatus, SchedulerDraftTable } from '@sundial/common'
import type { CredentialRow } from './credentials.ts'
import { WAKE_CHANNEL, notify } from './notify.ts'
import type { Keyset } from './pagination.ts'

export type DraftRow = Selectable<SchedulerDraftTable>
export type NewDraft = Insertable<SchedulerDraftTable>

/** States in which a draft counts against MAX_DRAFTS_PER_USER and can still change. */
export const ACTIVE_STATUSES: DraftStatus[] = ['draft', 'scheduled', 'publishing']
/** States a user may edit, reschedule or publish now. */
export const EDITABLE_STATUSES: DraftStatus[] = ['draft', 'scheduled', 'failed']

/** Serialises draft creation per owner so the per-user limit holds under concurrent requests. */
export async function lockOwner(tx: DbTx, ownerDid: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${'scheduler:' + ownerDid}, 0))`.execute(tx)
}

export async function countActiveDrafts(tx: DbTx | Db, ownerDid: string): Promise<number> {
  const row = await tx
    .selectFrom('schedulerDraft')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('ownerDid', '=', ownerDid)
    .where('status', 'in', ACTIVE_STATUSES)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Inserts drafts and wakes every publisher if one of them is due earlier than they planned. */
export async function insertDrafts(tx: DbTx, drafts: NewDraft[]): Promise<void> {
  if (drafts.length === 0) return
  await tx.insertInto('schedulerDraft').values(drafts).execute()
  await notifyEarliest(
    tx,
    drafts.map((d) => d.wakeAt),
  )
}

export async function notifyEarliest(tx: DbTx | Db, wakeAts: Array<Date | string | null | undefined>) {
  const times = wakeAts.filter((w): w is Date | string => !!w).map((w) => new Date(w).getTime())
  if (times.length > 0) await notify(tx, WAKE_CHANNEL, String(Math.min(...times)))
}

export async function getOwnedDraft(
  db: Db | DbTx,
  ownerDid: string,
  id: string,
): Promise<DraftRow | undefined> {
  return db
    .selectFrom('schedulerDraft')
    .selectAll()
    .where('id', '=', id)
    .where('ownerDid', '=', ownerDid)
    .executeTakeFirst()
}

export async function getOwnedDraftForUpdate(
  tx: DbTx,
  ownerDid: string,
  id: string,
): Promise<DraftRow | undefined> {
  return tx
    .selectFrom('schedulerDraft')
    .selectAll()
    .where('id', '=', id)
    .where('ownerDid', '=', ownerDid)
    .forUpdate()
    .executeTakeFirst()
}

export async function getDraftById(db: Db | DbTx, id: string): Promise<DraftRow | undefined> {
  return db.selectFrom('schedulerDraft').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listOwnedDrafts(
  db: Db,
  ownerDid: string,
  opts: { statuses?: DraftStatus[]; limit: number; before?: Keyset },
): Promise<DraftRow[]> {
  let q = db.selectFrom('schedulerDraft').selectAll().where('ownerDid', '=', ownerDid)
  if (opts.statuses && opts.statuses.length > 0) q = q.where('status', 'in', opts.statuses)
  if (opts.before) {
    const { createdAt, id } = opts.before
    q = q.where((eb) =>
      eb.or([eb('createdAt', '<', createdAt), eb.and([eb('createdAt', '=', createdAt), eb('id', '<', id)])]),
    )
  }
  return q.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(opts.limit).execute()
}

export async function updateDraft(
  tx: DbTx | Db,
  id: string,
  patch: Updateable<SchedulerDraftTable>,
): Promise<DraftRow | undefined> {
  const row = await tx
    .updateTable('schedulerDraft')
    .set({ ...patch, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  if (patch.wakeAt) await notifyEarliest(tx, [patch.wakeAt as Date])
  return row
}

export async function deleteDraftRow(tx: DbTx | Db, id: string): Promise<void> {
  await tx.deleteFrom('schedulerDraft').where('id', '=', id).execute()
}

/**
 * One-time trigger: moves the draft to `scheduled`, due now, unless the trigger already fired. Returns the
 * draft, 'fired' when it had been used, or undefined when no draft has this trigger.
 */
export async function fireTrigger(
  db: Db,
  triggerHash: string,
): Promise<DraftRow | 'fired' | 'gone' | undefined> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('schedulerDraft')
      .selectAll()
      .where('triggerHash', '=', triggerHash)
      .forUpdate()
      .executeTakeFirst()
    if (!row) return undefined
    if (row.triggerFiredAt) return 'fired'
    const now = new Date()
    if (row.status !== 'draft' && row.status !== 'scheduled') {
      // Published by its schedule time or cancelled: the trigger is spent either way.
      await tx.updateTable('schedulerDraft').set({ triggerFiredAt: now }).where('id', '=', row.id).execute()
      return 'gone'
    }
    return updateDraft(tx, row.id, {
      status: 'scheduled',
      triggerFiredAt: now,
      nextAttemptAt: now,
      wakeAt: now,
      scheduledAt: row.scheduledAt && row.scheduledAt < now ? row.scheduledAt : now,
    })
  })
}

export interface ClaimOptions {
  /** Lease holder name (this process). */
  owner: string
  leaseSeconds: number
  /** Claim scheduled drafts due up to this moment (a little ahead of now). */
  horizon: Date
  limit: number
  /** PDS URLs whose queues are full: their drafts stay for later so others are not held up. */
  excludePdsUrls: string[]
}

export interface ClaimedDraft extends DraftRow {
  pdsUrl: string | null
  /** The owner's credential as of the claim (saves a read per draft); null when none is registered. */
  credential: CredentialRow | null
}

/**
 * Leases due drafts to this process: scheduled ones due by the horizon, and publishing ones whose lease
 * expired (their holder died). SKIP LOCKED lets replicas claim side by side without waiting on each other.
 */
export async function claimDueDrafts(db: Db, opts: ClaimOptions): Promise<ClaimedDraft[]> {
  const result = await sql<ClaimedDraft>`
    with due as (
      select d.id, c.pds_url, c.did as cred_did, c.kind as cred_kind, c.identifier as cred_identifier,
        c.secret_enc as cred_secret_enc, c.session_enc as cred_session_enc, c.status as cred_status,
        c.last_error as cred_last_error, c.created_at as cred_created_at, c.updated_at as cred_updated_at
      from scheduler_draft d
      left join scheduler_credential c on c.did = d.owner_did
      where d.wake_at is not null
        and d.wake_at <= ${opts.horizon}
        and (d.status = 'scheduled' or (d.status = 'publishing' and d.wake_at <= now()))
        and coalesce(c.pds_url, '') <> all(${opts.excludePdsUrls}::text[])
      order by d.wake_at
      limit ${opts.limit}
      for update of d skip locked
    )
    update scheduler_draft d
    set status = 'publishing',
        lease_owner = ${opts.owner},
        lease_expires_at = now() + make_interval(secs => ${opts.leaseSeconds}),
        wake_at = now() + make_interval(secs => ${opts.leaseSeconds}),
        attempts = d.attempts + 1,
        updated_at = now()
    from due
    where d.id = due.id
    returning d.*, due.*
  `.execute(db)
  return result.rows.map((r) => {
    const {
      credDid,
      credKind,
      credIdentifier,
      credSecretEnc,
      credSessionEnc,
      credStatus,
      credLastError,
      ...rest
    } = r as unknown as ClaimedRow
    const credential: CredentialRow | null = credDid
      ? {
          did: credDid,
          kind: credKind,
          pdsUrl: rest.pdsUrl!,
          identifier: credIdentifier,
          secretEnc: credSecretEnc,
          sessionEnc: credSessionEnc,
          status: credStatus,
          lastError: credLastError,
          createdAt: rest.credCreatedAt,
          updatedAt: rest.credUpdatedAt,
        }
      : null
    const { credCreatedAt: _c, credUpdatedAt: _u, ...draft } = rest
    return { ...draft, credential }
  })
}

type ClaimedRow = DraftRow & {
  pdsUrl: string | null
  credDid: string | null
  credKind: CredentialRow['kind']
  credIdentifier: string | null
  credSecretEnc: Buffer | null
  credSessionEnc: Buffer | null
  credStatus: CredentialRow['status']
  credLastError: string | null
  credCreatedAt: Date
  credUpdatedAt: Date
}

/**
 * When the publisher next has work: the earliest scheduled draft's due time and the earliest lease expiry of a
 * publishing one (claimed early and late respectively, so they are reported apart).
 */
export async function nextWakeTimes(db: Db): Promise<{ scheduled: Date | null; leaseExpiry: Date | null }> {
  const first = (status: DraftStatus) =>
    db
      .selectFrom('schedulerDraft')
      .select('wakeAt')
      .where('wakeAt', 'is not', null)
      .where('status', '=', status)
      .orderBy('wakeAt')
      .limit(1)
      .executeTakeFirst()
  const [scheduled, publishing] = await Promise.all([first('scheduled'), first('publishing')])
  return { scheduled: scheduled?.wakeAt ?? null, leaseExpiry: publishing?.wakeAt ?? null }
}

/**
 * Gives back leases this process holds but has not started on (graceful shutdown, or a restart under the same
 * INSTANCE_ID), so they are due again at once instead of after the lease expires.
 */
export async function releaseLeases(db: Db, leaseOwner: string, ids?: string[]): Promise<number> {
  if (ids && ids.length === 0) return 0
  let q = db
    .updateTable('schedulerDraft')
    .set((eb) => ({
      status: 'scheduled',
      leaseOwner: null,
      leaseExpiresAt: null,
      wakeAt: eb.ref('nextAttemptAt'),
      updatedAt: new Date(),
    }))
    .where('leaseOwner', '=', leaseOwner)
    .where('status', '=', 'publishing')
  if (ids) q = q.where('id', 'in', ids)
  const result = await q.executeTakeFirst()
  const n = Number(result.numUpdatedRows)
  if (n > 0) await notifyEarliest(db, [new Date()])
  return n
}

/** Ends this process's lease with the given changes; false when the lease was lost to another replica. */
export async function finishLeased(
  tx: DbTx | Db,
  id: string,
  leaseOwner: string,
  patch: Updateable<SchedulerDraftTable>,
): Promise<DraftRow | undefined> {
  const row = await tx
    .updateTable('schedulerDraft')
    .set({ ...patch, leaseOwner: null, leaseExpiresAt: null, updatedAt: new Date() })
    .where('id', '=', id)
    .where('leaseOwner', '=', leaseOwner)
    .where('status', '=', 'publishing')
    .returningAll()
    .executeTakeFirst()
  if (row && patch.wakeAt) await notifyEarliest(tx, [patch.wakeAt as Date])
  return row
}

export async function countByStatus(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('schedulerDraft')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('status')
    .execute()
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
}
