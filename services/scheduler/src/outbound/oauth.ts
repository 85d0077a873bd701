import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { JoseKey, NodeOAuthClient, buildAtprotoLoopbackClientId } from '@atproto/oauth-client-node'
import type { OAuthClientMetadataInput } from '@atproto/oauth-client-node'
import type { Db } from '@sundial/common'
import type pg from 'pg'
import type { SchedulerConfig } from '../config.ts'
import { upsertCredential } from '../db/credentials.ts'
import type { Logger } from '../logger.ts'
import type { SecretBox } from './encryption.ts'
import { PgSessionStore, PgStateStore, pgRequestLock } from './oauth-stores.ts'
import type { OAuthSessionSource } from './outbound-auth.ts'
import { PdsClient } from './pds-client.ts'

export const OAUTH_SCOPE = 'atproto transition:generic'

/**
 * atproto OAuth with DPoP through @atproto/oauth-client-node: the user authorises Sundial once at their PDS
 * and the session (refreshed by the client, serialised across replicas) is used at publish time. On a
 * loopback PUBLIC_URL (development, tests) Sundial is a loopback client; otherwise a confidential web
 * client whose metadata and public key are served under /oauth/ (the key is generated once under DATA_DIR
 * unless OAUTH_PRIVATE_KEY gives one).
 */
export class OAuthFlow implements OAuthSessionSource {
  private constructor(
    readonly client: NodeOAuthClient,
    readonly clientMetadata: OAuthClientMetadataInput,
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  static async create(deps: {
    cfg: SchedulerConfig
    db: Db
    pool: pg.Pool
    box: SecretBox
    log: Logger
    fetch: typeof globalThis.fetch
    handleResolver?: string
    privateKey?: string
  }): Promise<OAuthFlow> {
    const { cfg } = deps
    const loopback = isLoopback(cfg.publicUrl)
    // Loopback clients must name the loopback IP, not "localhost" (RFC 8252).
    const redirectUri = `${loopback ? loopbackIp(cfg.publicUrl) : cfg.publicUrl}/oauth/callback`
    const keyset = loopback ? undefined : [await loadSigningKey(cfg.dataDir, deps.privateKey, deps.log)]
    const clientMetadata: OAuthClientMetadataInput = loopback
      ? {
          client_id: buildAtprotoLoopbackClientId({ scope: OAUTH_SCOPE, redirect_uris: [redirectUri] }),
          client_name: cfg.oauthClientName,
          redirect_uris: [redirectUri as `http://127.0.0.1${string}`],
          scope: OAUTH_SCOPE,
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          application_type: 'native',
          token_endpoint_auth_method: 'none',
          dpop_bound_access_tokens: true,
        }
      : {
          client_id: `${cfg.publicUrl}/oauth/client-metadata.json`,
          client_name: cfg.oauthClientName,
          client_uri: cfg.publicUrl,
          redirect_uris: [redirectUri as `https://${string}`],
          scope: OAUTH_SCOPE,
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          application_type: 'web',
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks_uri: `${cfg.publicUrl}/oauth/jwks.json`,
          dpop_bound_access_tokens: true,
        }
    const client = new NodeOAuthClient({
      clientMetadata,
      keyset,
      stateStore: new PgStateStore(deps.db, deps.box),
      sessionStore: new PgSessionStore(deps.db, deps.box),
      requestLock: pgRequestLock(deps.pool),
      allowHttp: cfg.oauthAllowHttp,
      plcDirectoryUrl: cfg.plcUrl,
      handleResolver: deps.handleResolver ?? cfg.oauthHandleResolverUrl,
      fetch: deps.fetch,
    })
    return new OAuthFlow(client, clientMetadata, deps.db, deps.log)
  }

  get jwks() {
    return this.client.jwks
  }

  /** URL of the user's authorisation server for a handle, DID or PDS URL. */
  async authorizeUrl(input: string): Promise<URL> {
    return this.client.authorize(input, { scope: OAUTH_SCOPE })
  }

  /** Finishes an authorisation and stores the account's credential as an OAuth one. */
  async finish(params: URLSearchParams): Promise<{ did: string; pdsUrl: string }> {
    const { session } = await this.client.callback(params)
    const info = await session.getTokenInfo(false)
    const pdsUrl = info.aud.replace(/\/+$/, '')
    await upsertCredential(this.db, { did: session.did, kind: 'oauth', pdsUrl, identifier: null })
    this.log.info({ did: session.did, pdsUrl }, 'oauth authorisation stored')
    return { did: session.did, pdsUrl }
  }

  async restoreClient(did: string): Promise<PdsClient> {
    return new PdsClient(await this.client.restore(did))
  }

  /** Revokes the session at the authorisation server (best effort) and forgets it. */
  async forget(did: string): Promise<void> {
    await this.client.revoke(did).catch((err) => this.log.debug({ err, did }, 'oauth revoke failed'))
  }
}

function loopbackIp(publicUrl: string): string {
  const url = new URL(publicUrl)
  if (url.hostname === 'localhost') url.hostname = '127.0.0.1'
  return url.toString().replace(/\/+$/, '')
}

function isLoopback(publicUrl: string): boolean {
  const host = new URL(publicUrl).hostname
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]'
}

async function loadSigningKey(
  dataDir: string,
  configured: string | undefined,
  log: Logger,
): Promise<JoseKey> {
  if (configured) return JoseKey.fromImportable(configured, 'sundial-scheduler-1')
  const file = path.join(dataDir, 'scheduler-oauth-key.json')
  try {
    return await JoseKey.fromImportable(await readFile(file, 'utf8'), 'sundial-scheduler-1')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await mkdir(dataDir, { recursive: true })
  const key = await JoseKey.generate(['ES256'], 'sundial-scheduler-1')
  await writeFile(file, JSON.stringify(key.privateJwk), { mode: 0o600 })
  await chmod(file, 0o600)
  log.warn({ file }, 'OAUTH_PRIVATE_KEY is not set: generated the OAuth client key; back this file up')
  return key
}
