/** A follow record whose author is a local user (kept by triggers on follow and local_user). */
export interface LocalFollowTable {
  /** The follow record's uri. */
  uri: string
  viewerDid: string
  subjectDid: string
}
