import { AppBskyActorProfile } from '@atproto/api'
import { reject } from '../ingest/rejections.ts'
import type { Rejection } from '../ingest/rejections.ts'
import { isPlainProfile } from './profile-shape.ts'
import { checkLexicon, normalizeCreatedAt, recordJson } from './record-checks.ts'
import type { RecordContext } from './record-checks.ts'

export const PROFILE_COLLECTION = 'app.bsky.actor.profile'

export interface ProfileRow {
  did: string
  uri: string
  cid: string
  displayName: string | null
  description: string | null
  avatarCid: string | null
  bannerCid: string | null
  record: string
  createdAt: string | null
  /** indexed_at = the event's time (µs), computed in SQL. */
  timeUs: number
  rev: string
}

export function indexProfile(ctx: RecordContext, record: unknown): ProfileRow | Rejection {
  // The profile is a singleton: the reference AppView ignores any other key too.
  if (ctx.rkey !== 'self') return reject('invalid_rkey', `profile rkey ${ctx.rkey}`)
  if (!isPlainProfile(record)) {
    const invalid = checkLexicon(AppBskyActorProfile.validateRecord, record)
    if (invalid) return invalid
  }
  const json = recordJson(record)
  if (typeof json !== 'string') return json
  const profile = record as AppBskyActorProfile.Record
  return {
    did: ctx.did,
    uri: ctx.uri,
    cid: ctx.cid,
    displayName: profile.displayName ?? null,
    description: profile.description ?? null,
    avatarCid: blobCid(profile.avatar),
    bannerCid: blobCid(profile.banner),
    record: json,
    createdAt: profile.createdAt ? normalizeCreatedAt(profile.createdAt) : null,
    timeUs: ctx.timeUs,
    rev: ctx.rev,
  }
}

// Blob refs arrive as JSON: `{ref: {$link}}`, or the legacy `{cid}` form.
function blobCid(blob: unknown): string | null {
  if (typeof blob !== 'object' || blob === null) return null
  const b = blob as { ref?: { $link?: unknown }; cid?: unknown }
  if (typeof b.ref?.$link === 'string') return b.ref.$link
  if (typeof b.cid === 'string') return b.cid
  return null
}
