import type { ColumnType, Generated } from 'kysely'

/** jsonb: read as parsed JSON, written as a JSON string (pg would turn a JS array into a Postgres array). */
export type Jsonb = ColumnType<unknown, string | null, string | null>

export type DraftStatus =
  'draft' | 'scheduled' | 'publishing' | 'published' | 'confirmed' | 'failed' | 'cancelled'
export type DraftOperation = 'create' | 'put' | 'delete' | 'applyWrites'
export type ConfirmState = 'awaiting' | 'confirmed' | 'unconfirmed'

/** A write held by the scheduler until it is published to the owner's PDS. */
export interface SchedulerDraftTable {
  id: string
  ownerDid: string
  status: DraftStatus
  operation: DraftOperation
  collection: string | null
  /** Fixed when the draft is made, so a retried publish finds its own record. */
  rkey: string | null
  /** Final record URI (the first write's, for applyWrites). */
  uri: string
  record: Jsonb
  /** applyWrites only: the writes, each with its fixed rkey. */
  writes: Jsonb
  /** CID of the record as submitted (the published CID differs when createdAt is set at publish). */
  draftCid: string | null
  validate: boolean | null
  keepCreatedAt: Generated<boolean>
  blobCids: Generated<string[]>
  scheduledAt: Date | null
  /** When the publisher must act: due time while scheduled, lease expiry while publishing, else null. */
  wakeAt: Date | null
  nextAttemptAt: Date | null
  /** Claims, including ones a crash cut short (more than one means an earlier write may have landed). */
  attempts: Generated<number>
  /** Attempts that failed; retries back off on this and give up after MAX_PUBLISH_ATTEMPTS of them. */
  failures: Generated<number>
  leaseOwner: string | null
  leaseExpiresAt: Date | null
  /** sha256 of the one-time trigger secret. */
  triggerHash: string | null
  triggerFiredAt: Date | null
  scheduleId: string | null
  occurrenceAt: Date | null
  publishedUri: string | null
  publishedCid: string | null
  publishedRecord: Jsonb
  publishedAt: Date | null
  confirmedAt: Date | null
  confirmState: ConfirmState | null
  confirmNote: string | null
  lastError: string | null
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}
