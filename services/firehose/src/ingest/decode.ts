import { ComAtprotoRepoStrongRef } from '@atproto/api'
import { isValidDid, isValidNsid, isValidRecordKey } from '@atproto/syntax'
import { indexAccount, indexIdentity } from '../indexers/actor.ts'
import { indexFollow } from '../indexers/follow.ts'
import { indexLike } from '../indexers/like.ts'
import { indexPost } from '../indexers/post.ts'
import { indexProfile } from '../indexers/profile.ts'
import type { RecordContext } from '../indexers/record-checks.ts'
import { indexRepost } from '../indexers/repost.ts'
import { COLLECTIONS } from './events.ts'
import type { Collection, IndexEvent, IndexedRecord } from './events.ts'
import { isDagCborCid, isPlcDid, isTidString } from './formats.ts'
import { reject } from './rejections.ts'
import type { Rejection } from './rejections.ts'

export interface DecodeOptions {
  /** Frames larger than this are skipped as `oversized`. */
  maxRecordBytes: number
}

/** A rejected event, with what is known of it (the cursor still moves past a valid `timeUs`). */
export interface RejectedEvent extends Rejection {
  timeUs?: number
  did?: unknown
  uri?: string
}

const WANTED = new Set<string>(COLLECTIONS)

/** A Jetstream `time_us` the cursor can move to: a positive safe integer. */
export function isValidTimeUs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
}

/** Turns one parsed Jetstream event into rows to write, or says why it is skipped. Never throws. */
export function decodeEvent(
  raw: unknown,
  frameBytes: number,
  opts: DecodeOptions,
): IndexEvent | RejectedEvent {
  if (typeof raw !== 'object' || raw === null) return reject('malformed_json', 'event is not an object')
  const ev = raw as Record<string, unknown>
  const timeUs = ev.time_us
  if (!isValidTimeUs(timeUs)) {
    return { ...reject('invalid_time', String(timeUs)), did: ev.did }
  }
  const did = ev.did
  if (frameBytes > opts.maxRecordBytes) return { ...reject('oversized', `${frameBytes} bytes`), timeUs, did }
  if (typeof did !== 'string' || !(isPlcDid(did) || isValidDid(did))) {
    return { ...reject('invalid_did', String(did)), timeUs, did }
  }
  const result = decodeBody(ev, did, timeUs)
  return 'ok' in result ? { ...result, timeUs, did } : result
}

function decodeBody(ev: Record<string, unknown>, did: string, timeUs: number): IndexEvent | RejectedEvent {
  switch (ev.kind) {
    case 'commit':
      return decodeCommit(ev.commit, did, timeUs)
    case 'identity': {
      if (!isObject(ev.identity)) return reject('incomplete_event', 'identity event without identity')
      const row = indexIdentity(did, ev.identity)
      return 'ok' in row ? row : { kind: 'identity', timeUs, row }
    }
    case 'account': {
      if (!isObject(ev.account)) return reject('incomplete_event', 'account event without account')
      const row = indexAccount(did, ev.account)
      return 'ok' in row ? row : { kind: 'account', timeUs, row }
    }
    default:
      return reject('unknown_kind', String(ev.kind))
  }
}

function decodeCommit(commit: unknown, did: string, timeUs: number): IndexEvent | RejectedEvent {
  if (!isObject(commit)) return reject('incomplete_event', 'commit event without commit')
  const { collection, rkey, rev, operation } = commit
  if (typeof collection !== 'string' || !WANTED.has(collection)) {
    const valid = typeof collection === 'string' && isValidNsid(collection)
    return reject(valid ? 'unwanted_collection' : 'invalid_nsid', String(collection))
  }
  if (typeof rkey !== 'string' || !(isTidString(rkey) || isValidRecordKey(rkey))) {
    return reject('invalid_rkey', String(rkey))
  }
  // Revisions are TIDs; they order a record's versions against its tombstone.
  if (typeof rev !== 'string' || !isTidString(rev)) return reject('invalid_rev', String(rev))
  const uri = `at://${did}/${collection}/${rkey}`
  if (operation === 'delete') {
    return { kind: 'delete', timeUs, did, uri, rev, collection: collection as Collection }
  }
  if (operation !== 'create' && operation !== 'update') return reject('invalid_operation', String(operation))
  const cid = commit.cid
  if (typeof cid !== 'string' || !isCid(uri, cid)) return { ...reject('invalid_cid', String(cid)), uri }
  if (!isObject(commit.record)) return { ...reject('invalid_record', 'record is not an object'), uri }
  const ctx: RecordContext = { did, collection, rkey, uri, cid, rev, timeUs }
  const record = indexRecord(ctx, commit.record)
  if ('ok' in record) return { ...record, uri }
  return { kind: 'write', timeUs, did, uri, rev, op: operation, record }
}

function indexRecord(ctx: RecordContext, record: Record<string, unknown>): IndexedRecord | Rejection {
  const collection = ctx.collection as Collection
  switch (collection) {
    case 'app.bsky.feed.post': {
      const row = indexPost(ctx, record)
      return 'ok' in row ? row : { collection, row }
    }
    case 'app.bsky.feed.like': {
      const row = indexLike(ctx, record)
      return 'ok' in row ? row : { collection, row }
    }
    case 'app.bsky.feed.repost': {
      const row = indexRepost(ctx, record)
      return 'ok' in row ? row : { collection, row }
    }
    case 'app.bsky.graph.follow': {
      const row = indexFollow(ctx, record)
      return 'ok' in row ? row : { collection, row }
    }
    case 'app.bsky.actor.profile': {
      const row = indexProfile(ctx, record)
      return 'ok' in row ? row : { collection, row }
    }
  }
}

function isCid(uri: string, cid: string): boolean {
  return isDagCborCid(cid) || ComAtprotoRepoStrongRef.validateMain({ uri, cid }).success
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
