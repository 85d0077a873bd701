import { AppBskyFeedLike } from '@atproto/api'
import { isPlainPostRef, isPlainUtcDatetime } from '../ingest/formats.ts'
import type { Rejection } from '../ingest/rejections.ts'
import type { AggregateDeltas } from './aggregates.ts'
import { checkLexicon, normalizeCreatedAt, recordJson } from './record-checks.ts'
import type { RecordContext } from './record-checks.ts'

export const LIKE_COLLECTION = 'app.bsky.feed.like'

export interface LikeRow {
  uri: string
  cid: string
  authorDid: string
  subjectUri: string
  subjectCid: string
  createdAt: string
  /** indexed_at = the event's time (µs), computed in SQL. */
  timeUs: number
  rev: string
}

/** Likes of one subject inserted or deleted together. */
export interface LikeCounted {
  subjectUri: string
  count: number
}

/** Likes are most of the stream: the common exact shape is accepted without the full lexicon walk. */
export function isPlainSubjectRecord(record: unknown, type: string): boolean {
  if (typeof record !== 'object' || record === null) return false
  const r = record as Record<string, unknown>
  let keys = 0
  for (const _ in r) keys++
  return (
    keys === 3 &&
    r.$type === type &&
    typeof r.createdAt === 'string' &&
    isPlainUtcDatetime(r.createdAt) &&
    isPlainPostRef(r.subject)
  )
}

export function indexLike(ctx: RecordContext, record: unknown): LikeRow | Rejection {
  if (!isPlainSubjectRecord(record, LIKE_COLLECTION)) {
    const invalid = checkLexicon(AppBskyFeedLike.validateRecord, record)
    if (invalid) return invalid
    const json = recordJson(record)
    if (typeof json !== 'string') return json
  }
  const like = record as AppBskyFeedLike.Record
  return {
    uri: ctx.uri,
    cid: ctx.cid,
    authorDid: ctx.did,
    subjectUri: like.subject.uri,
    subjectCid: like.subject.cid,
    createdAt: normalizeCreatedAt(like.createdAt),
    timeUs: ctx.timeUs,
    rev: ctx.rev,
  }
}

export function countLike(deltas: AggregateDeltas, like: LikeCounted, sign: 1 | -1): void {
  deltas.post(like.subjectUri).likes += sign * like.count
}
