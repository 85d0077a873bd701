import { AppBskyGraphFollow } from '@atproto/api'
import { isPlainUtcDatetime, isPlcDid } from '../ingest/formats.ts'
import type { Rejection } from '../ingest/rejections.ts'
import type { AggregateDeltas } from './aggregates.ts'
import { checkLexicon, normalizeCreatedAt, recordJson } from './record-checks.ts'
import type { RecordContext } from './record-checks.ts'

export const FOLLOW_COLLECTION = 'app.bsky.graph.follow'

export interface FollowRow {
  uri: string
  cid: string
  authorDid: string
  subjectDid: string
  createdAt: string
  /** indexed_at = the event's time (µs), computed in SQL. */
  timeUs: number
  rev: string
}

export interface FollowCounted {
  authorDid: string
  subjectDid: string
}

function isPlainFollow(record: unknown): boolean {
  if (typeof record !== 'object' || record === null) return false
  const r = record as Record<string, unknown>
  let keys = 0
  for (const _ in r) keys++
  return (
    keys === 3 &&
    r.$type === FOLLOW_COLLECTION &&
    typeof r.createdAt === 'string' &&
    isPlainUtcDatetime(r.createdAt) &&
    typeof r.subject === 'string' &&
    isPlcDid(r.subject)
  )
}

export function indexFollow(ctx: RecordContext, record: unknown): FollowRow | Rejection {
  if (!isPlainFollow(record)) {
    const invalid = checkLexicon(AppBskyGraphFollow.validateRecord, record)
    if (invalid) return invalid
    const json = recordJson(record)
    if (typeof json !== 'string') return json
  }
  const follow = record as AppBskyGraphFollow.Record
  return {
    uri: ctx.uri,
    cid: ctx.cid,
    authorDid: ctx.did,
    subjectDid: follow.subject,
    createdAt: normalizeCreatedAt(follow.createdAt),
    timeUs: ctx.timeUs,
    rev: ctx.rev,
  }
}

export function countFollow(deltas: AggregateDeltas, follow: FollowCounted, sign: 1 | -1): void {
  deltas.actor(follow.authorDid).follows += sign
  deltas.actor(follow.subjectDid).followers += sign
}
