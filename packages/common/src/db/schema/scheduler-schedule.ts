import type { ColumnType, Generated } from 'kysely'
import type { Jsonb } from './scheduler-draft.ts'

/** A recurring schedule: an RFC 5545 RRULE in an IANA zone that materialises one draft per occurrence. */
export interface SchedulerScheduleTable {
  id: string
  ownerDid: string
  collection: string
  /** Template record; null when content comes from `contentUrl` at publish time. */
  record: Jsonb
  contentUrl: string | null
  rrule: string
  timezone: string
  /** Wall-clock start in `timezone`, `YYYY-MM-DDTHH:mm:ss`. */
  dtstartLocal: string
  /** Per-occurrence exceptions: skip, move, or override the record. */
  exceptions: ColumnType<unknown, string | undefined, string>
  paused: Generated<boolean>
  status: Generated<'active' | 'completed'>
  keepCreatedAt: Generated<boolean>
  nextOccurrenceAt: Date | null
  fireCount: Generated<number>
  blobCids: Generated<string[]>
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}
