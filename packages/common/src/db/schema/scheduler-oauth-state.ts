import type { Generated } from 'kysely'

/** In-flight OAuth authorisations (PKCE verifier, DPoP key), encrypted. */
export interface SchedulerOauthStateTable {
  key: string
  valueEnc: Buffer
  createdAt: Generated<Date>
}
