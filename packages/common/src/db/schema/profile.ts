import type { Generated } from 'kysely'

export interface ProfileTable {
  did: string
  uri: string
  cid: string
  displayName: string | null
  description: string | null
  avatarCid: string | null
  bannerCid: string | null
  record: unknown
  createdAt: Date | null
  indexedAt: Generated<Date>
  rev: string | null
}
