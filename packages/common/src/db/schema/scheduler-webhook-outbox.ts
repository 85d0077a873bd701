import type { Generated } from 'kysely'
import type { Jsonb } from './scheduler-draft.ts'

/** Post-publish webhook events, written in the transaction that changes the draft, delivered with retries. */
export interface SchedulerWebhookOutboxTable {
  id: Generated<string>
  event: 'published' | 'confirmed' | 'failed'
  draftId: string | null
  payload: Jsonb
  attempts: Generated<number>
  /** Null once delivered or given up. */
  nextAttemptAt: Date | null
  leaseExpiresAt: Date | null
  deliveredAt: Date | null
  lastError: string | null
  createdAt: Generated<Date>
}
