import type { Generated } from 'kysely'

export interface FollowTable {
  uri: string
  cid: string
  authorDid: string
  subjectDid: string
  createdAt: Date
  indexedAt: Generated<Date>
  rev: string | null
}
