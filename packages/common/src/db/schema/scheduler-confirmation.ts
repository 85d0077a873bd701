/** One expected commit per published write, ticked off when Jetstream shows it. */
export interface SchedulerConfirmationTable {
  draftId: string
  idx: number
  ownerDid: string
  uri: string
  /** Null for deletes. */
  cid: string | null
  action: 'create' | 'update' | 'delete'
  publishedAt: Date
  seenAt: Date | null
}
