import { sql } from 'kysely'
import type { Selectable } from 'kysely'
import type { Db, DbTx, SchedulerWebhookOutboxTable } from '@sundial/common'
import { OUTBOX_CHANNEL, notify } from './notify.ts'

export type OutboxRow = Selectable<SchedulerWebhookOutboxTable>
export type WebhookEvent = 'published' | 'confirmed' | 'failed'

/** Queues a webhook event inside the transaction that changed the draft, so it is sent exactly when it happened. */
export async function enqueueWebhook(
  tx: DbTx,
  event: WebhookEvent,
  draftId: string,
  payload: Record<string, unknown>,
): Promise<void> {
  const now = new Date()
  await tx
    .insertInto('schedulerWebhookOutbox')
    .values({ event, draftId, payload: JSON.stringify({ event, ...payload }), nextAttemptAt: now })
    .execute()
  await notify(tx, OUTBOX_CHANNEL, String(now.getTime()))
}

export async function claimWebhooks(db: Db, limit: number, leaseSeconds: number): Promise<OutboxRow[]> {
  const result = await sql<OutboxRow>`
    with due as (
      select id from scheduler_webhook_outbox
      where next_attempt_at is not null and next_attempt_at <= now()
        and (lease_expires_at is null or lease_expires_at < now())
      order by next_attempt_at
      limit ${limit}
      for update skip locked
    )
    update scheduler_webhook_outbox o
    set lease_expires_at = now() + make_interval(secs => ${leaseSeconds}),
        next_attempt_at = now() + make_interval(secs => ${leaseSeconds}),
        attempts = o.attempts + 1
    from due where o.id = due.id
    returning o.*
  `.execute(db)
  return result.rows
}

export async function nextWebhookAt(db: Db): Promise<Date | null> {
  const row = await db
    .selectFrom('schedulerWebhookOutbox')
    .select((eb) => eb.fn.min('nextAttemptAt').as('at'))
    .where('nextAttemptAt', 'is not', null)
    .executeTakeFirst()
  return row?.at ? new Date(row.at as Date) : null
}

export async function finishWebhook(
  db: Db,
  id: string,
  outcome: { delivered: true } | { delivered: false; retryAt: Date | null; error: string },
): Promise<void> {
  const patch = outcome.delivered
    ? { deliveredAt: new Date(), nextAttemptAt: null, leaseExpiresAt: null, lastError: null }
    : { nextAttemptAt: outcome.retryAt, leaseExpiresAt: null, lastError: outcome.error }
  await db.updateTable('schedulerWebhookOutbox').set(patch).where('id', '=', id).execute()
}
