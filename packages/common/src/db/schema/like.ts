import type { Generated } from 'kysely'

export interface LikeTable {
  uri: string
  cid: string
  authorDid: string
  subjectUri: string
  subjectCid: string
  createdAt: Date
  indexedAt: Generated<Date>
  rev: string | null
}
