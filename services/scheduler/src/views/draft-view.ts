import type { DraftView, ScheduleView, WriteView } from '@sundial/lexicon/types/dev/sundial/scheduler/defs'
import type { DraftRow } from '../db/drafts.ts'
import type { ScheduleRow } from '../db/schedules.ts'
import type { StoredWrite } from '../publisher/publish-draft.ts'
import type { ScheduleException } from '../recurrence/recurrence.ts'

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined)

/** Pure shaping of a draft row for the API. */
export function draftView(row: DraftRow): DraftView {
  const writes = row.operation === 'applyWrites' ? ((row.writes as StoredWrite[] | null) ?? []) : undefined
  return {
    id: row.id,
    uri: row.uri,
    cid: row.draftCid ?? undefined,
    status: row.status,
    operation: row.operation,
    collection: row.collection ?? undefined,
    rkey: row.rkey ?? undefined,
    record: (row.record as Record<string, unknown> | null) ?? undefined,
    writes: writes?.map((w): WriteView => ({
      action: w.action,
      collection: w.collection,
      rkey: w.rkey,
      uri: w.uri,
      value: w.value,
    })),
    scheduledAt: iso(row.scheduledAt),
    keepCreatedAt: row.keepCreatedAt,
    attempts: row.attempts,
    failures: row.failures,
    nextAttemptAt: row.status === 'scheduled' ? iso(row.nextAttemptAt) : undefined,
    lastError: row.lastError ?? undefined,
    hasTrigger: !!row.triggerHash,
    triggerFiredAt: iso(row.triggerFiredAt),
    scheduleId: row.scheduleId ?? undefined,
    occurrenceAt: iso(row.occurrenceAt),
    publishedUri: row.publishedUri ?? undefined,
    publishedCid: row.publishedCid ?? undefined,
    publishedAt: iso(row.publishedAt),
    confirmedAt: iso(row.confirmedAt),
    confirmState: row.confirmState ?? undefined,
    confirmNote: row.confirmNote ?? undefined,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

export function scheduleView(
  row: ScheduleRow,
  extra: { pendingDraftId?: string; upcoming?: Date[] } = {},
): ScheduleView {
  return {
    id: row.id,
    collection: row.collection,
    record: (row.record as Record<string, unknown> | null) ?? undefined,
    contentUrl: row.contentUrl ?? undefined,
    rrule: row.rrule,
    timezone: row.timezone,
    start: row.dtstartLocal,
    exceptions: ((row.exceptions as ScheduleException[] | null) ?? []).map((e) => ({ ...e })),
    paused: row.paused,
    status: row.status,
    keepCreatedAt: row.keepCreatedAt,
    nextOccurrenceAt: iso(row.nextOccurrenceAt),
    pendingDraftId: extra.pendingDraftId,
    fireCount: row.fireCount,
    upcoming: extra.upcoming?.map((d) => d.toISOString()),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}
