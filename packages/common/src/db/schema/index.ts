import type { ActorTable } from './actor.ts'
import type { ActorAggTable, PostAggTable } from './aggregates.ts'
import type { CursorTable } from './cursor.ts'
import type { FeedItemTable } from './feed-item.ts'
import type { FollowTable } from './follow.ts'
import type { LikeTable } from './like.ts'
import type { LocalUserTable } from './local-user.ts'
import type { PostTable } from './post.ts'
import type { ProfileTable } from './profile.ts'
import type { RepostTable } from './repost.ts'
import type { TimelineItemTable } from './timeline-item.ts'
import type { TombstoneTable } from './tombstone.ts'

export interface DatabaseSchema {
  actor: ActorTable
  post: PostTable
  repost: RepostTable
  follow: FollowTable
  like: LikeTable
  profile: ProfileTable
  postAgg: PostAggTable
  actorAgg: ActorAggTable
  tombstone: TombstoneTable
  feedItem: FeedItemTable
  timelineItem: TimelineItemTable
  localUser: LocalUserTable
  cursor: CursorTable
}

export type {
  ActorTable,
  ActorAggTable,
  CursorTable,
  FeedItemTable,
  FollowTable,
  LikeTable,
  LocalUserTable,
  PostAggTable,
  PostTable,
  ProfileTable,
  RepostTable,
  TimelineItemTable,
  TombstoneTable,
}
