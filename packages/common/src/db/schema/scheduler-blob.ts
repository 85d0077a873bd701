import type { Generated } from 'kysely'

/** Bytes uploaded through the scheduler, re-uploaded to the PDS at publish. */
export interface SchedulerBlobTable {
  ownerDid: string
  /** CIDv1, raw codec, sha-256: the same CID the PDS computes. */
  cid: string
  mimeType: string
  size: number
  bytes: Buffer
  createdAt: Generated<Date>
  unreferencedExpiresAt: Date
}
