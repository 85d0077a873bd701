import type { AccountRow, IdentityRow } from '../indexers/actor.ts'
import type { FollowRow } from '../indexers/follow.ts'
import type { LikeRow } from '../indexers/like.ts'
import type { PostRow } from '../indexers/post.ts'
import type { ProfileRow } from '../indexers/profile.ts'
import type { RepostRow } from '../indexers/repost.ts'

export const COLLECTIONS = [
  'app.bsky.feed.post',
  'app.bsky.feed.repost',
  'app.bsky.feed.like',
  'app.bsky.graph.follow',
  'app.bsky.actor.profile',
] as const

export type Collection = (typeof COLLECTIONS)[number]

export type IndexedRecord =
  | { collection: 'app.bsky.feed.post'; row: PostRow }
  | { collection: 'app.bsky.feed.repost'; row: RepostRow }
  | { collection: 'app.bsky.feed.like'; row: LikeRow }
  | { collection: 'app.bsky.graph.follow'; row: FollowRow }
  | { collection: 'app.bsky.actor.profile'; row: ProfileRow }

/** A record created or updated: the row it becomes. */
export interface RecordWrite {
  kind: 'write'
  timeUs: number
  did: string
  uri: string
  rev: string
  op: 'create' | 'update'
  record: IndexedRecord
}

export interface RecordDelete {
  kind: 'delete'
  timeUs: number
  did: string
  uri: string
  rev: string
  collection: Collection
}

export interface IdentityChange {
  kind: 'identity'
  timeUs: number
  row: IdentityRow
}

export interface AccountChange {
  kind: 'account'
  timeUs: number
  row: AccountRow
}

/** An event that writes nothing (invalid, or outside the index scope) but still moves the cursor past it. */
export interface SkippedEvent {
  kind: 'skip'
  timeUs: number
  /** Not from the stream: tells a writer lane how far the stream has been handed out (see Firehose). */
  marker?: true
}

export type IndexEvent = RecordWrite | RecordDelete | IdentityChange | AccountChange | SkippedEvent
