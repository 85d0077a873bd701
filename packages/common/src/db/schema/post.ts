import type { Generated } from 'kysely'

export interface PostTable {
  uri: string
  cid: string
  authorDid: string
  rkey: string
  text: string
  record: unknown
  replyRoot: string | null
  replyRootCid: string | null
  replyParent: string | null
  replyParentCid: string | null
  /** `$type` of the embed, if any; the embed itself stays in `record`. */
  embedType: string | null
  /** The quoted record, for record and recordWithMedia embeds. */
  embedUri: string | null
  langs: string[] | null
  createdAt: Date
  indexedAt: Generated<Date>
  /** min(createdAt, indexedAt): the reference AppView's feed ordering key. */
  sortAt: Date
  rev: string | null
}
