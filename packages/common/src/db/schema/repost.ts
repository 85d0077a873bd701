import type { Generated } from 'kysely'

export interface RepostTable {
  uri: string
  cid: string
  authorDid: string
  subjectUri: string
  subjectCid: string
  createdAt: Date
  indexedAt: Generated<Date>
  sortAt: Date
  rev: string | null
}
