import type { ActorTable } from './actor.ts'
import type { ActorAggTable, PostAggTable } from './aggregates.ts'
import type { BackfillJobTable } from './backfill-job.ts'
import type { CursorTable } from './cursor.ts'
import type { FeedItemTable } from './feed-item.ts'
import type { FollowTable } from './follow.ts'
import type { LikeTable } from './like.ts'
import type { LocalFollowTable } from './local-follow.ts'
import type { LocalUserTable } from './local-user.ts'
import type { PostTable } from './post.ts'
import type { ProfileTable } from './profile.ts'
import type { RepostTable } from './repost.ts'
import type { SchedulerBlobTable } from './scheduler-blob.ts'
import type { SchedulerConfirmationTable } from './scheduler-confirmation.ts'
import type { SchedulerCredentialTable } from './scheduler-credential.ts'
import type { SchedulerDraftTable } from './scheduler-draft.ts'
import type { SchedulerOauthSessionTable } from './scheduler-oauth-session.ts'
import type { SchedulerOauthStateTable } from './scheduler-oauth-state.ts'
import type { SchedulerScheduleTable } from './scheduler-schedule.ts'
import type { SchedulerWebhookOutboxTable } from './scheduler-webhook-outbox.ts'
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
  localFollow: LocalFollowTable
  localUser: LocalUserTable
  cursor: CursorTable
  schedulerDraft: SchedulerDraftTable
  schedulerSchedule: SchedulerScheduleTable
  schedulerBlob: SchedulerBlobTable
  schedulerConfirmation: SchedulerConfirmationTable
  schedulerCredential: SchedulerCredentialTable
  schedulerOauthState: SchedulerOauthStateTable
  schedulerOauthSession: SchedulerOauthSessionTable
  schedulerWebhookOutbox: SchedulerWebhookOutboxTable
  backfillJob: BackfillJobTable
}

export type {
  ActorTable,
  ActorAggTable,
  BackfillJobTable,
  CursorTable,
  FeedItemTable,
  FollowTable,
  LikeTable,
  LocalFollowTable,
  LocalUserTable,
  PostAggTable,
  PostTable,
  ProfileTable,
  RepostTable,
  SchedulerBlobTable,
  SchedulerConfirmationTable,
  SchedulerCredentialTable,
  SchedulerDraftTable,
  SchedulerOauthSessionTable,
  SchedulerOauthStateTable,
  SchedulerScheduleTable,
  SchedulerWebhookOutboxTable,
  TimelineItemTable,
  TombstoneTable,
}
export type { ConfirmState, DraftOperation, DraftStatus, Jsonb } from './scheduler-draft.ts'
export type { BackfillReason, BackfillState } from './backfill-job.ts'
