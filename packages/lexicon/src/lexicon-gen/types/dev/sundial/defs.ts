/**
 * GENERATED CODE - DO NOT MODIFY
 */
import { type ValidationResult, BlobRef } from '@atproto/lexicon'
import { validate as _validate } from '../../../lexicons.ts'
import { type $Typed, is$typed as _is$typed, type OmitKey } from '../../../util.ts'

const is$typed = _is$typed,
  validate = _validate
const id = 'dev.sundial.defs'

export interface TimelineStatus {
  $type?: 'dev.sundial.defs#timelineStatus'
  did: string
  /** Whether this AppView keeps a materialised timeline for the account. */
  isLocalUser: boolean
  /** When the timeline was first built from indexed data. */
  timelineBuiltAt?: string
  /** True once the history of every followed account has been backfilled. */
  complete: boolean
  /** When the timeline became complete. */
  completeSince?: string
  /** Followed accounts whose history is still being fetched. */
  pendingBackfills: number
  /** Items (posts and reposts) in the materialised timeline. */
  itemCount: number
}

const hashTimelineStatus = 'timelineStatus'

export function isTimelineStatus<V>(v: V) {
  return is$typed(v, id, hashTimelineStatus)
}

export function validateTimelineStatus<V>(v: V) {
  return validate<TimelineStatus & V>(v, id, hashTimelineStatus)
}
