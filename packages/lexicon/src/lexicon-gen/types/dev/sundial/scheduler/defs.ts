/**
 * GENERATED CODE - DO NOT MODIFY
 */
import { type ValidationResult, BlobRef } from '@atproto/lexicon'
type CID = BlobRef['ref']
import { validate as _validate } from '../../../../lexicons.ts'
import {
  type $Typed,
  is$typed as _is$typed,
  type OmitKey,
} from '../../../../util.ts'

const is$typed = _is$typed,
  validate = _validate
const id = 'dev.sundial.scheduler.defs'

/** A write held by the scheduler, and how far its publication has got. */
export interface DraftView {
  $type?: 'dev.sundial.scheduler.defs#draftView'
  id: string
  /** The record's final URI, fixed when the draft was made (the first write's, for applyWrites). */
  uri: string
  /** CID of the record as submitted. When createdAt is set at publish time the published CID differs; see publishedCid. */
  cid?: string
  status:
    | 'draft'
    | 'scheduled'
    | 'publishing'
    | 'published'
    | 'confirmed'
    | 'failed'
    | 'cancelled'
    | (string & {})
  operation: 'create' | 'put' | 'delete' | 'applyWrites' | (string & {})
  collection?: string
  rkey?: string
  record?: { [_ in string]: unknown }
  /** applyWrites only: the writes, each with its fixed rkey. */
  writes?: WriteView[]
  scheduledAt?: string
  /** When false, createdAt is set to the moment of publication. */
  keepCreatedAt: boolean
  attempts: number
  /** Attempts that failed (retries back off on this); attempts also counts claims a crash cut short. */
  failures?: number
  nextAttemptAt?: string
  lastError?: string
  /** Whether a one-time trigger URL was issued. */
  hasTrigger: boolean
  triggerFiredAt?: string
  scheduleId?: string
  occurrenceAt?: string
  publishedUri?: string
  publishedCid?: string
  /** When the PDS acknowledged the write. */
  publishedAt?: string
  /** When the write was seen on Jetstream. */
  confirmedAt?: string
  confirmState?: 'awaiting' | 'confirmed' | 'unconfirmed' | (string & {})
  /** Why a publish is shown as unconfirmed (the result of re-checking the PDS). */
  confirmNote?: string
  createdAt: string
  updatedAt: string
}

const hashDraftView = 'draftView'

export function isDraftView<V>(v: V) {
  return is$typed(v, id, hashDraftView)
}

export function validateDraftView<V>(v: V) {
  return validate<DraftView & V>(v, id, hashDraftView)
}

export interface WriteView {
  $type?: 'dev.sundial.scheduler.defs#writeView'
  action: 'create' | 'update' | 'delete' | (string & {})
  collection: string
  rkey: string
  uri: string
  value?: { [_ in string]: unknown }
}

const hashWriteView = 'writeView'

export function isWriteView<V>(v: V) {
  return is$typed(v, id, hashWriteView)
}

export function validateWriteView<V>(v: V) {
  return validate<WriteView & V>(v, id, hashWriteView)
}

/** A recurring schedule: one draft per occurrence of an RFC 5545 RRULE in an IANA time zone. */
export interface ScheduleView {
  $type?: 'dev.sundial.scheduler.defs#scheduleView'
  id: string
  collection: string
  /** Template record published at each occurrence. */
  record?: { [_ in string]: unknown }
  /** When set, the record is fetched from this URL at publish time (allow-listed hosts only). */
  contentUrl?: string
  /** RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,WE,FR. */
  rrule: string
  /** IANA time zone, e.g. Europe/Berlin. */
  timezone: string
  /** Wall-clock start (DTSTART) in the schedule's time zone, YYYY-MM-DDTHH:mm[:ss], without offset. */
  start: string
  exceptions: Exception[]
  paused: boolean
  status: 'active' | 'completed' | (string & {})
  keepCreatedAt: boolean
  nextOccurrenceAt?: string
  /** The draft waiting for the next occurrence. */
  pendingDraftId?: string
  fireCount: number
  /** The next occurrences after exceptions (getSchedule only). */
  upcoming?: string[]
  createdAt: string
  updatedAt: string
}

const hashScheduleView = 'scheduleView'

export function isScheduleView<V>(v: V) {
  return is$typed(v, id, hashScheduleView)
}

export function validateScheduleView<V>(v: V) {
  return validate<ScheduleView & V>(v, id, hashScheduleView)
}

/** Changes one occurrence: skip it, move it, or publish a different record. */
export interface Exception {
  $type?: 'dev.sundial.scheduler.defs#exception'
  /** The occurrence as the rule generates it. */
  occurrence: string
  skip?: boolean
  moveTo?: string
  /** Record published for this occurrence instead of the template. */
  record?: { [_ in string]: unknown }
}

const hashException = 'exception'

export function isException<V>(v: V) {
  return is$typed(v, id, hashException)
}

export function validateException<V>(v: V) {
  return validate<Exception & V>(v, id, hashException)
}
