/** A local user's materialised timeline: one index range scan per page. */
export interface TimelineItemTable {
  viewerDid: string
  uri: string
  cid: string
  type: 'post' | 'repost'
  postUri: string
  originatorDid: string
  sortAt: Date
}
