import type { Generated } from 'kysely'

/** How the scheduler writes to a user's PDS: an app password or an OAuth session (secrets AES-256-GCM encrypted). */
export interface SchedulerCredentialTable {
  did: string
  kind: 'app_password' | 'oauth'
  pdsUrl: string
  identifier: string | null
  secretEnc: Buffer | null
  sessionEnc: Buffer | null
  status: Generated<'active' | 'revoked'>
  lastError: string | null
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}
