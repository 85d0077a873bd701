import type { Generated } from 'kysely'

/** OAuth sessions (tokens and DPoP key) by account DID, encrypted. */
export interface SchedulerOauthSessionTable {
  sub: string
  valueEnc: Buffer
  updatedAt: Generated<Date>
}
