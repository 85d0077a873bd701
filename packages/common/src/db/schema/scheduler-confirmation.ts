/** One expected commit per published write, ticked off when Jetstream shows it. */
export interface SchedulerConfirmationTable {
  draftId: string
  idx: number
  ownerDid: string
  uri: string
  /** Null for deletes. */
  cid: string | null
  action: 'create' | 'update' | 'delete'
  /** When the commit was made or, for a retry that found its record, could first have been: replay starts here. */
  publishedAt: Date
  seenAt: Date | null
}
