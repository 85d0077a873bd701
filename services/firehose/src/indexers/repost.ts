import { AppBskyFeedRepost } from '@atproto/api'
import type { Rejection } from '../ingest/rejections.ts'
import type { AggregateDeltas } from './aggregates.ts'
import { isPlainSubjectRecord } from './like.ts'
import { checkLexicon, normalizeCreatedAt, recordJson } from './record-checks.ts'
import type { RecordContext } from './record-checks.ts'

export const REPOST_COLLECTION = 'app.bsky.feed.repost'

export interface RepostRow {
  uri: string
  cid: string
  authorDid: string
  subjectUri: string
  subjectCid: string
  createdAt: string
  /** indexed_at = the event's time (µs); sort_at = min(createdAt, indexed_at), both computed in SQL. */
  timeUs: number
  rev: string
}

export interface RepostCounted {
  subjectUri: string
}

export function indexRepost(ctx: RecordContext, record: unknown): RepostRow | Rejection {
  if (!isPlainSubjectRecord(record, REPOST_COLLECTION)) {
    const invalid = checkLexicon(AppBskyFeedRepost.validateRecord, record)
    if (invalid) return invalid
    const json = recordJson(record)
    if (typeof json !== 'string') return json
  }
  const repost = record as AppBskyFeedRepost.Record
  const createdAt = normalizeCreatedAt(repost.createdAt)
  return {
    uri: ctx.uri,
    cid: ctx.cid,
    authorDid: ctx.did,
    subjectUri: repost.subject.uri,
    subjectCid: repost.subject.cid,
    createdAt,
    timeUs: ctx.timeUs,
    rev: ctx.rev,
  }
}

export function countRepost(deltas: AggregateDeltas, repost: RepostCounted, sign: 1 | -1): void {
  deltas.post(repost.subjectUri).reposts += sign
}
