/** One row per post or repost: the author-feed index, and the source a timeline is built from. */
export interface FeedItemTable {
  uri: string
  cid: string
  type: 'post' | 'repost'
  /** The post shown: the post itself, or the reposted subject. */
  postUri: string
  /** Who made the item: the post author, or the reposter. */
  originatorDid: string
  sortAt: Date
}
