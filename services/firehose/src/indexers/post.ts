import { AppBskyFeedPost } from '@atproto/api'
import type { Rejection } from '../ingest/rejections.ts'
import type { AggregateDeltas } from './aggregates.ts'
import { isPlainPost } from './post-shape.ts'
import { checkLexicon, normalizeCreatedAt, recordJson } from './record-checks.ts'
import type { RecordContext } from './record-checks.ts'

export const POST_COLLECTION = 'app.bsky.feed.post'

export interface PostRow {
  uri: string
  cid: string
  authorDid: string
  rkey: string
  text: string
  /** The record as JSON text, stored as jsonb. */
  record: string
  replyRoot: string | null
  replyRootCid: string | null
  replyParent: string | null
  replyParentCid: string | null
  embedType: string | null
  embedUri: string | null
  langs: string[] | null
  createdAt: string
  /** indexed_at = the event's time (µs); sort_at = min(createdAt, indexed_at), both computed in SQL. */
  timeUs: number
  rev: string
}

/** The columns of a stored post that its aggregates depend on. */
export interface PostCounted {
  authorDid: string
  replyParent: string | null
  embedUri: string | null
}

export function indexPost(ctx: RecordContext, record: unknown): PostRow | Rejection {
  if (!isPlainPost(record)) {
    const invalid = checkLexicon(AppBskyFeedPost.validateRecord, record)
    if (invalid) return invalid
  }
  const json = recordJson(record)
  if (typeof json !== 'string') return json
  const post = record as AppBskyFeedPost.Record
  const embed = post.embed as
    { $type?: string; record?: { uri?: string; record?: { uri?: string } } } | undefined
  const createdAt = normalizeCreatedAt(post.createdAt)
  return {
    uri: ctx.uri,
    cid: ctx.cid,
    authorDid: ctx.did,
    rkey: ctx.rkey,
    text: post.text,
    record: json,
    replyRoot: post.reply?.root.uri ?? null,
    replyRootCid: post.reply?.root.cid ?? null,
    replyParent: post.reply?.parent.uri ?? null,
    replyParentCid: post.reply?.parent.cid ?? null,
    embedType: embed?.$type ?? null,
    embedUri: embeddedRecordUri(embed) ?? null,
    langs: post.langs?.length ? post.langs : null,
    createdAt,
    timeUs: ctx.timeUs,
    rev: ctx.rev,
  }
}

function embeddedRecordUri(
  embed: { $type?: string; record?: { uri?: string; record?: { uri?: string } } } | undefined,
) {
  if (embed?.$type === 'app.bsky.embed.record') return embed.record?.uri
  if (embed?.$type === 'app.bsky.embed.recordWithMedia') return embed.record?.record?.uri
  return undefined
}

/** Adds (sign +1) or removes (-1) a post's contribution: author's post count, parent's replies, quoted post. */
export function countPost(deltas: AggregateDeltas, post: PostCounted, sign: 1 | -1): void {
  deltas.actor(post.authorDid).posts += sign
  if (post.replyParent) deltas.post(post.replyParent).replies += sign
  // As the reference AppView: only an embedded post counts as a quote (not a list or feed generator).
  if (post.embedUri && isPostUri(post.embedUri)) deltas.post(post.embedUri).quotes += sign
}

function isPostUri(uri: string): boolean {
  // at://<authority>/app.bsky.feed.post/<rkey>
  const parts = uri.split('/')
  return parts.length === 5 && parts[0] === 'at:' && parts[3] === POST_COLLECTION
}
