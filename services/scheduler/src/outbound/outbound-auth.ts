import { Agent, CredentialSession, XRPCError } from '@atproto/api'
import type { AtpSessionData } from '@atproto/api'
import type { Db } from '@sundial/common'
import { getCredential, revokeCredential, saveSession } from '../db/credentials.ts'
import type { CredentialRow } from '../db/credentials.ts'
import type { Logger } from '../logger.ts'
import type { BackgroundQueue } from '../queue.ts'
import type { SecretBox } from './encryption.ts'
import { classifyPdsError } from './pds-errors.ts'

export interface AppPasswordSecret {
  identifier: string
  password: string
}

/** Something that turns a DID into an authenticated OAuth session (the OAuth client). */
export interface OAuthSessionSource {
  restoreAgent(did: string): Promise<Agent>
}

export type AgentResult =
  | { ok: true; agent: Agent; pdsUrl: string; kind: CredentialRow['kind'] }
  | { ok: false; permanent: boolean; reason: string }

interface CachedAgent {
  agent: Agent
  pdsUrl: string
  kind: CredentialRow['kind']
  /** Credential row version the agent was built from; a re-registration replaces it. */
  updatedAt: number
}

export const secretContext = (did: string) => `credential:${did}:secret`
export const sessionContext = (did: string) => `credential:${did}:session`

/**
 * Authenticated agents for writing to users' PDSes. App-password sessions are kept (encrypted) and
 * refreshed by the session itself; when a PDS rejects them we sign in again once, and if the password is
 * refused the credential is marked revoked so the user's drafts fail with that reason instead of retrying.
 */
export class OutboundAuth {
  private readonly agents = new Map<string, CachedAgent>()
  private readonly maxCached = 5_000

  constructor(
    private readonly deps: {
      db: Db
      box: SecretBox
      log: Logger
      fetch: typeof globalThis.fetch
      persistQueue: BackgroundQueue
      oauth?: OAuthSessionSource
    },
  ) {}

  async agentFor(did: string): Promise<AgentResult> {
    const cred = await getCredential(this.deps.db, did)
    if (!cred) {
      return {
        ok: false,
        permanent: true,
        reason: 'NoCredentials: no app password or OAuth session for this account; register one first',
      }
    }
    if (cred.status === 'revoked') {
      return {
        ok: false,
        permanent: true,
        reason: `CredentialsRevoked: ${cred.lastError ?? 'sign in again'}`,
      }
    }
    const cached = this.agents.get(did)
    if (cached && cached.updatedAt === cred.updatedAt.getTime()) {
      // Refresh LRU order.
      this.agents.delete(did)
      this.agents.set(did, cached)
      return { ok: true, agent: cached.agent, pdsUrl: cached.pdsUrl, kind: cached.kind }
    }
    const built =
      cred.kind === 'oauth' ? await this.oauthAgent(cred) : await this.appPasswordAgent(cred, false)
    if (built.ok) this.remember(did, { ...built, updatedAt: cred.updatedAt.getTime() })
    return built
  }

  /**
   * The PDS refused our token. For app passwords: sign in afresh once; a refused password revokes the
   * credential. OAuth sessions refresh themselves, so a refusal there is final.
   */
  async recoverFromAuthError(did: string, reason: string): Promise<AgentResult> {
    this.agents.delete(did)
    const cred = await getCredential(this.deps.db, did)
    if (!cred || cred.status === 'revoked') return this.agentFor(did)
    if (cred.kind === 'oauth') {
      await revokeCredential(this.deps.db, did, `OAuth session rejected by the PDS: ${reason}`)
      return { ok: false, permanent: true, reason: `CredentialsRevoked: OAuth session rejected: ${reason}` }
    }
    const built = await this.appPasswordAgent(cred, true)
    if (built.ok) {
      const fresh = await getCredential(this.deps.db, did)
      this.remember(did, { ...built, updatedAt: (fresh ?? cred).updatedAt.getTime() })
    }
    return built
  }

  forget(did: string): void {
    this.agents.delete(did)
  }

  private remember(did: string, entry: CachedAgent): void {
    this.agents.set(did, entry)
    if (this.agents.size > this.maxCached) {
      const oldest = this.agents.keys().next().value
      if (oldest !== undefined) this.agents.delete(oldest)
    }
  }

  private async oauthAgent(cred: CredentialRow): Promise<AgentResult> {
    if (!this.deps.oauth)
      return { ok: false, permanent: true, reason: 'OAuthUnavailable: OAuth is not configured' }
    try {
      const agent = await this.deps.oauth.restoreAgent(cred.did)
      return { ok: true, agent, pdsUrl: cred.pdsUrl, kind: 'oauth' }
    } catch (err) {
      const c = classifyPdsError(err)
      if (c.kind === 'transient') return { ok: false, permanent: false, reason: c.reason }
      await revokeCredential(this.deps.db, cred.did, c.reason)
      return { ok: false, permanent: true, reason: `CredentialsRevoked: ${c.reason}` }
    }
  }

  private async appPasswordAgent(cred: CredentialRow, forceLogin: boolean): Promise<AgentResult> {
    const { box, db, log } = this.deps
    if (!cred.secretEnc) return { ok: false, permanent: true, reason: 'NoCredentials: app password missing' }
    let secret: AppPasswordSecret
    let saved: AtpSessionData | undefined
    try {
      secret = box.decryptJson<AppPasswordSecret>(cred.secretEnc, secretContext(cred.did))
      if (cred.sessionEnc && !forceLogin) saved = box.decryptJson(cred.sessionEnc, sessionContext(cred.did))
    } catch {
      return {
        ok: false,
        permanent: true,
        reason: 'CredentialsUnreadable: stored secret cannot be decrypted',
      }
    }
    const did = cred.did
    const session = new CredentialSession(new URL(cred.pdsUrl), this.deps.fetch, (evt, data) => {
      if (evt !== 'create' && evt !== 'update' && evt !== 'expired') return
      const sealed = data ? box.encryptJson(data, sessionContext(did)) : null
      this.deps.persistQueue.add('persist-session', () => saveSession(db, did, sealed))
    })
    if (saved && saved.did === did) {
      // Reuse the stored tokens without a round trip; the session refreshes them when they expire.
      session.session = saved
    } else {
      try {
        await session.login({ identifier: secret.identifier, password: secret.password })
      } catch (err) {
        const c = classifyPdsError(err)
        if (c.kind === 'transient') return { ok: false, permanent: false, reason: c.reason }
        const reason = `app password rejected by the PDS: ${c.reason}`
        log.warn({ did, reason }, 'revoking app password')
        await revokeCredential(db, did, reason)
        return { ok: false, permanent: true, reason: `CredentialsRevoked: ${reason}` }
      }
      if (session.did !== did) {
        await revokeCredential(db, did, 'app password signs in to a different account')
        return {
          ok: false,
          permanent: true,
          reason: 'CredentialsRevoked: app password signs in to another account',
        }
      }
    }
    return { ok: true, agent: new Agent(session), pdsUrl: cred.pdsUrl, kind: 'app_password' }
  }
}

/** Signs in once with an app password to check it and learn the session (used at registration). */
export async function checkAppPassword(
  pdsUrl: string,
  secret: AppPasswordSecret,
  fetchImpl: typeof globalThis.fetch,
): Promise<{ ok: true; session: AtpSessionData } | { ok: false; transient: boolean; reason: string }> {
  const session = new CredentialSession(new URL(pdsUrl), fetchImpl)
  try {
    await session.login({ identifier: secret.identifier, password: secret.password })
  } catch (err) {
    const transient = !(err instanceof XRPCError) || err.status >= 500
    return { ok: false, transient, reason: err instanceof Error ? err.message : String(err) }
  }
  return { ok: true, session: session.session! }
}
