import type {
  NodeSavedSession,
  NodeSavedSessionStore,
  NodeSavedState,
  NodeSavedStateStore,
} from '@atproto/oauth-client-node'
import type { Db } from '@sundial/common'
import type pg from 'pg'
import type { SecretBox } from './encryption.ts'

/** How long an unfinished authorisation may take. */
const STATE_TTL_MS = 60 * 60_000

/** In-flight authorisations (PKCE verifier and DPoP key), encrypted in Postgres so any replica can finish them. */
export class PgStateStore implements NodeSavedStateStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  async set(key: string, value: NodeSavedState): Promise<void> {
    const valueEnc = this.box.encryptJson(value, `oauth-state:${key}`)
    await this.db
      .insertInto('schedulerOauthState')
      .values({ key, valueEnc })
      .onConflict((oc) => oc.column('key').doUpdateSet({ valueEnc }))
      .execute()
    // Abandoned authorisations are cleared as new ones start.
    await this.db
      .deleteFrom('schedulerOauthState')
      .where('createdAt', '<', new Date(Date.now() - STATE_TTL_MS))
      .execute()
  }

  async get(key: string): Promise<NodeSavedState | undefined> {
    const row = await this.db
      .selectFrom('schedulerOauthState')
      .selectAll()
      .where('key', '=', key)
      .executeTakeFirst()
    if (!row || row.createdAt.getTime() < Date.now() - STATE_TTL_MS) return undefined
    return this.box.decryptJson<NodeSavedState>(row.valueEnc, `oauth-state:${key}`)
  }

  async del(key: string): Promise<void> {
    await this.db.deleteFrom('schedulerOauthState').where('key', '=', key).execute()
  }
}

/** OAuth sessions (tokens and DPoP private key) by account DID, encrypted in Postgres. */
export class PgSessionStore implements NodeSavedSessionStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  async set(sub: string, value: NodeSavedSession): Promise<void> {
    const valueEnc = this.box.encryptJson(value, `oauth-session:${sub}`)
    await this.db
      .insertInto('schedulerOauthSession')
      .values({ sub, valueEnc })
      .onConflict((oc) => oc.column('sub').doUpdateSet({ valueEnc, updatedAt: new Date() }))
      .execute()
  }

  async get(sub: string): Promise<NodeSavedSession | undefined> {
    const row = await this.db
      .selectFrom('schedulerOauthSession')
      .selectAll()
      .where('sub', '=', sub)
      .executeTakeFirst()
    if (!row) return undefined
    return this.box.decryptJson<NodeSavedSession>(row.valueEnc, `oauth-session:${sub}`)
  }

  async del(sub: string): Promise<void> {
    await this.db.deleteFrom('schedulerOauthSession').where('sub', '=', sub).execute()
  }
}

/**
 * Serialises token refreshes for one session across replicas (a refresh token is single-use: two replicas
 * refreshing at once would lose the session) with a Postgres advisory lock held on its own connection.
 */
export function pgRequestLock(pool: pg.Pool) {
  return async <T>(name: string, fn: () => T | PromiseLike<T>): Promise<T> => {
    const client = await pool.connect()
    try {
      await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [`oauth:${name}`])
      try {
        return await fn()
      } finally {
        await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [`oauth:${name}`])
      }
    } finally {
      client.release()
    }
  }
}
