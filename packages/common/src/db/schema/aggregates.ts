import type { Generated } from 'kysely'

export interface PostAggTable {
  uri: string
  replyCount: Generated<number>
  repostCount: Generated<number>
  likeCount: Generated<number>
  quoteCount: Generated<number>
}

export interface ActorAggTable {
  did: string
  followersCount: Generated<number>
  followsCount: Generated<number>
  postsCount: Generated<number>
}
