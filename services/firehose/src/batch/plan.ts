import type { AccountRow, IdentityRow } from '../indexers/actor.ts'
import type { FollowRow } from '../indexers/follow.ts'
import type { LikeRow } from '../indexers/like.ts'
import type { PostRow } from '../indexers/post.ts'
import type { ProfileRow } from '../indexers/profile.ts'
import type { RepostRow } from '../indexers/repost.ts'
import type { TombstoneRow } from '../db/tombstones.ts'
import type { Collection, IndexEvent, IndexedRecord } from '../ingest/events.ts'

/** Decides which events are indexed at all (the `local` index scope); absent means everything. */
export interface ScopeFilter {
  admits(did: string): boolean
  /** A follow was seen: if its author is local, the subject is in scope from now on. */
  observeFollow(authorDid: string, subjectDid: string): void
}

export interface RecordChanges<Row> {
  /** Stored rows to delete first: records deleted or replaced in this batch. */
  remove: string[]
  /** Rows the records end up as (after any removal). */
  write: Array<{ row: Row; rev: string }>
}

/** A batch reduced to its net effect, applied in one transaction. */
export interface WritePlan {
  /** time_us of the newest event in the batch, valid or not. */
  cursorUs: number | undefined
  /** Events from the stream (writer lanes' cursor markers not counted). */
  events: number
  posts: RecordChanges<PostRow>
  reposts: RecordChanges<RepostRow>
  likes: RecordChanges<LikeRow>
  follows: RecordChanges<FollowRow>
  profiles: RecordChanges<ProfileRow>
  /** Deletions that stand at the end of the batch. */
  tombstones: TombstoneRow[]
  identities: IdentityRow[]
  accounts: AccountRow[]
  /** Authors of records written, so every one has an actor row. */
  authors: string[]
  /** Events by `kind|collection|operation`, for metrics. */
  counts: Map<string, number>
}

interface Slot {
  collection: Collection
  did: string
  remove: boolean
  /** The final record, null when the batch ends with a delete, undefined while only created. */
  final: { record: IndexedRecord; rev: string } | null
  deleteRev?: string
}

/**
 * Reduces events (in stream order) to what a sequential replay would leave: per record, the last write wins,
 * and a delete or update removes the stored row first, so aggregates follow the rows really removed and added.
 */
export function planBatch(events: readonly IndexEvent[], scope?: ScopeFilter): WritePlan {
  const slots = new Map<string, Slot>()
  const identities = new Map<string, IdentityRow>()
  const accounts = new Map<string, AccountRow>()
  const authors = new Set<string>()
  const counts = new Map<string, number>()
  let cursorUs: number | undefined
  let markers = 0

  for (const ev of events) {
    if (cursorUs === undefined || ev.timeUs > cursorUs) cursorUs = ev.timeUs
    if (ev.kind === 'skip') {
      if (ev.marker) markers++
      continue
    }
    const did = ev.kind === 'identity' || ev.kind === 'account' ? ev.row.did : ev.did
    if (scope && !scope.admits(did)) continue
    switch (ev.kind) {
      case 'identity':
        identities.set(did, ev.row)
        bump(counts, 'identity||')
        break
      case 'account':
        accounts.set(did, ev.row)
        bump(counts, 'account||')
        break
      case 'write': {
        const { record } = ev
        bump(counts, `commit|${record.collection}|${ev.op}`)
        if (record.collection === 'app.bsky.graph.follow') scope?.observeFollow(did, record.row.subjectDid)
        const slot = slots.get(ev.uri)
        // Not newer than a delete earlier in this batch: a replay of something since deleted, as with tombstones.
        if (slot?.deleteRev !== undefined && ev.rev <= slot.deleteRev) break
        const final = { record, rev: ev.rev }
        if (slot) {
          slot.final = final
          if (ev.op === 'update') slot.remove = true
        } else {
          slots.set(ev.uri, { collection: record.collection, did, remove: ev.op === 'update', final })
        }
        authors.add(did)
        break
      }
      case 'delete': {
        const slot = slots.get(ev.uri)
        if (slot) {
          slot.remove = true
          slot.final = null
          slot.deleteRev = ev.rev
        } else {
          slots.set(ev.uri, { collection: ev.collection, did, remove: true, final: null, deleteRev: ev.rev })
        }
        bump(counts, `commit|${ev.collection}|delete`)
        break
      }
    }
  }

  const plan: WritePlan = {
    cursorUs,
    events: events.length - markers,
    posts: { remove: [], write: [] },
    reposts: { remove: [], write: [] },
    likes: { remove: [], write: [] },
    follows: { remove: [], write: [] },
    profiles: { remove: [], write: [] },
    tombstones: [],
    identities: [...identities.values()],
    accounts: [...accounts.values()],
    authors: [...authors],
    counts,
  }
  for (const [uri, slot] of slots) {
    const changes = changesFor(plan, slot.collection)
    if (slot.remove) changes.remove.push(uri)
    if (slot.final) {
      ;(changes.write as Array<{ row: unknown; rev: string }>).push({
        row: slot.final.record.row,
        rev: slot.final.rev,
      })
    } else if (slot.deleteRev !== undefined) {
      plan.tombstones.push({ uri, did: slot.did, collection: slot.collection, rev: slot.deleteRev })
    }
  }
  return plan
}

function changesFor(plan: WritePlan, collection: Collection): RecordChanges<unknown> {
  switch (collection) {
    case 'app.bsky.feed.post':
      return plan.posts
    case 'app.bsky.feed.repost':
      return plan.reposts
    case 'app.bsky.feed.like':
      return plan.likes
    case 'app.bsky.graph.follow':
      return plan.follows
    case 'app.bsky.actor.profile':
      return plan.profiles
  }
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1)
}
