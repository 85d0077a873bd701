import { XRPCError } from '@atproto/xrpc'
import type { Db } from '@sundial/common'
import { getCredential, revokeCredential, saveSession } from '../db/credentials.ts'
import type { CredentialRow } from '../db/credentials.ts'
import type { Logger } from '../logger.ts'
import type { BackgroundQueue } from '../queue.ts'
import type { SecretBox } from './encryption.ts'
import { AppPasswordSession, PdsClient, createSession } from './pds-client.ts'
import type { SessionTokens } from './pds-client.ts'
import { classifyPdsError } from './pds-errors.ts'

export interface AppPasswordSecret {
  identifier: string
  password: string
}

/** Something that turns a DID into an authenticated OAuth session (the OAuth client). */
export interface OAuthSessionSource {
  restoreClient(did: string): Promise<PdsClient>
}

export type AgentResult =
  | { ok: true; agent: PdsClient; pdsUrl: string; kind: CredentialRow['kind'] }
  | { ok: false; permanent: boolean; reason: string }

interface CachedAgent {
  agent: PdsClient
  pdsUrl: string
  kind: CredentialRow['kind']
  /** Which registration the agent was built from (see credentialVersion). */
  version: string
}

/** How long a credential row read is reused; a registration elsewhere is seen within this time. */
const CREDENTIAL_TTL_MS = 5_000

/** Changes when the user registers again or the credential is revoked, not when a session is refreshed. */
function credentialVersion(cred: CredentialRow): string {
  return `${cred.kind}|${cred.status}|${cred.pdsUrl}|${cred.secretEnc?.subarray(1, 13).toString('hex') ?? ''}`
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
  /** Credential rows read in the last few seconds: a burst of one account's drafts reads the row once. */
  private readonly creds = new Map<string, { row: CredentialRow | undefined; at: number }>()
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
    const cred = await this.credential(did)
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
    if (cached && cached.version === credentialVersion(cred)) {
      // Refresh LRU order.
      this.agents.delete(did)
      this.agents.set(did, cached)
      return { ok: true, agent: cached.agent, pdsUrl: cached.pdsUrl, kind: cached.kind }
    }
    const built =
      cred.kind === 'oauth' ? await this.oauthAgent(cred) : await this.appPasswordAgent(cred, false)
    if (built.ok) this.remember(did, { ...built, version: credentialVersion(cred) })
    return built
  }

  /**
   * The PDS refused our token. For app passwords: sign in afresh once; a refused password revokes the
   * credential. OAuth sessions refresh themselves, so a refusal there is final.
   */
  async recoverFromAuthError(did: string, reason: string): Promise<AgentResult> {
    this.forget(did)
    const cred = await getCredential(this.deps.db, did)
    if (!cred || cred.status === 'revoked') return this.agentFor(did)
    if (cred.kind === 'oauth') {
      await this.revoke(did, `OAuth session rejected by the PDS: ${reason}`)
      return { ok: false, permanent: true, reason: `CredentialsRevoked: OAuth session rejected: ${reason}` }
    }
    const built = await this.appPasswordAgent(cred, true)
    if (built.ok) this.remember(did, { ...built, version: credentialVersion(cred) })
    return built
  }

  forget(did: string): void {
    this.agents.delete(did)
    this.creds.delete(did)
  }

  /** Remembers a credential row read elsewhere (the claim query returns it with each draft). */
  prime(did: string, row: CredentialRow | null): void {
    this.creds.set(did, { row: row ?? undefined, at: Date.now() })
  }

  private async revoke(did: string, reason: string): Promise<void> {
    await revokeCredential(this.deps.db, did, reason)
    this.forget(did)
  }

  private async credential(did: string): Promise<CredentialRow | undefined> {
    const hit = this.creds.get(did)
    if (hit && Date.now() - hit.at < CREDENTIAL_TTL_MS) return hit.row
    const row = await getCredential(this.deps.db, did)
    this.creds.set(did, { row, at: Date.now() })
    if (this.creds.size > this.maxCached) {
      const oldest = this.creds.keys().next().value
      if (oldest !== undefined) this.creds.delete(oldest)
    }
    return row
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
      const agent = await this.deps.oauth.restoreClient(cred.did)
      return { ok: true, agent, pdsUrl: cred.pdsUrl, kind: 'oauth' }
    } catch (err) {
      const c = classifyPdsError(err)
      if (c.kind === 'transient') return { ok: false, permanent: false, reason: c.reason }
      await this.revoke(cred.did, c.reason)
      return { ok: false, permanent: true, reason: `CredentialsRevoked: ${c.reason}` }
    }
  }

  private async appPasswordAgent(cred: CredentialRow, forceLogin: boolean): Promise<AgentResult> {
    const { box, log } = this.deps
    if (!cred.secretEnc) return { ok: false, permanent: true, reason: 'NoCredentials: app password missing' }
    let secret: AppPasswordSecret
    let saved: SessionTokens | undefined
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
    let tokens = saved && saved.did === did ? saved : undefined
    if (!tokens) {
      try {
        tokens = await createSession(cred.pdsUrl, secret.identifier, secret.password, this.deps.fetch)
      } catch (err) {
        const c = classifyPdsError(err)
        if (c.kind === 'transient') return { ok: false, permanent: false, reason: c.reason }
        const reason = `app password rejected by the PDS: ${c.reason}`
        log.warn({ did, reason }, 'revoking app password')
        await this.revoke(did, reason)
        return { ok: false, permanent: true, reason: `CredentialsRevoked: ${reason}` }
      }
      if (tokens.did !== did) {
        await this.revoke(did, 'app password signs in to a different account')
        return {
          ok: false,
          permanent: true,
          reason: 'CredentialsRevoked: app password signs in to another account',
        }
      }
      this.persist(did, tokens)
    }
    // The stored tokens are used without a round trip; the session refreshes them when the PDS says so.
    const session = new AppPasswordSession(cred.pdsUrl, tokens, this.deps.fetch, (t) => this.persist(did, t))
    return { ok: true, agent: new PdsClient(session), pdsUrl: cred.pdsUrl, kind: 'app_password' }
  }

  private persist(did: string, tokens: SessionTokens): void {
    const sealed = this.deps.box.encryptJson(tokens, sessionContext(did))
    this.deps.persistQueue.add('persist-session', () => saveSession(this.deps.db, did, sealed))
  }
}

/** Signs in once with an app password to check it and learn the session (used at registration). */
export async function checkAppPassword(
  pdsUrl: string,
  secret: AppPasswordSecret,
  fetchImpl: typeof globalThis.fetch,
): Promise<{ ok: true; session: SessionTokens } | { ok: false; transient: boolean; reason: string }> {
  try {
    return { ok: true, session: await createSession(pdsUrl, secret.identifier, secret.password, fetchImpl) }
  } catch (err) {
    const transient = !(err instanceof XRPCError) || err.status >= 500 || err.status < 100
    return { ok: false, transient, reason: err instanceof Error ? err.message : String(err) }
  }
}
