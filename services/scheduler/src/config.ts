import path from 'node:path'
import { didWebFor, envBool, envInt, envString, envUrl, readDatabaseConfig } from '@sundial/common'
import type { DatabaseConfig, Env } from '@sundial/common'

export interface SchedulerConfig {
  /** Our DID: inbound service-auth JWTs must name it as `aud`. */
  serviceDid: string
  /** Where users and their PDS reach us (trigger URLs, OAuth redirect and client metadata). */
  publicUrl: string
  port: number
  plcUrl: string
  db: DatabaseConfig
  dataDir: string
  redisUrl?: string
  /** Jetstream `/subscribe` endpoint used to confirm publishes. */
  jetstreamUrl: string
  /** 32-byte key (hex or base64) for AES-256-GCM; generated once under dataDir when unset. */
  encryptionKey?: string
  logLevel: string
  maxDraftsPerUser: number
  maxRequestBytes: number
  maxBlobBytes: number
  postPublishWebhookUrl?: string
  confirmTimeoutSeconds: number
  publishConcurrency: number
  publishConcurrencyPerHost: number
  /** Timeout of one request to a PDS. */
  publishTimeoutMs: number
  /** Attempts before a draft fails for good on transient errors. */
  maxPublishAttempts: number
  /** How long a claimed draft stays leased to this process before another may reclaim it. */
  leaseSeconds: number
  /** Drafts due within this window are claimed early and published at their exact time. */
  claimLookaheadMs: number
  /** Hosts a schedule's contentUrl may point at. Empty: dynamic content disabled. */
  dynamicContentAllowedHosts: string[]
  /** Issue OAuth as a loopback client (development, http PUBLIC_URL); otherwise as a web client. */
  oauthClientName: string
  oauthAllowHttp: boolean
  /** XRPC service resolving handles for OAuth sign-in (com.atproto.identity.resolveHandle). */
  oauthHandleResolverUrl: string
  /** Private JWK (JSON) or PKCS#8 PEM for the confidential OAuth client; generated under dataDir when unset. */
  oauthPrivateKey?: string
  /** Name of this process in leases; unique per replica. */
  instanceId?: string
}

export function readConfig(env: Env): SchedulerConfig {
  const port = envInt(env, 'PORT', 2585, 0)
  const dataDir = envString(env, 'DATA_DIR', './data')!
  const publicUrl = envUrl(env, 'PUBLIC_URL', `http://localhost:${port}`)!.replace(/\/+$/, '')
  const serviceDid = envString(env, 'SERVICE_DID', didWebFor(publicUrl))!
  if (!serviceDid.startsWith('did:')) throw new Error(`SERVICE_DID must be a DID, got "${serviceDid}"`)
  const webhook = envUrl(env, 'POST_PUBLISH_WEBHOOK_URL')
  const hosts = (envString(env, 'DYNAMIC_CONTENT_ALLOWED_HOSTS', '') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean)
  return {
    serviceDid,
    publicUrl,
    port,
    plcUrl: envUrl(env, 'PLC_URL', 'https://plc.directory')!,
    db: readDatabaseConfig(env),
    dataDir: path.resolve(dataDir),
    redisUrl: envUrl(env, 'REDIS_URL'),
    jetstreamUrl: envUrl(env, 'JETSTREAM_URL', 'wss://jetstream2.us-east.bsky.network/subscribe')!,
    encryptionKey: envString(env, 'ENCRYPTION_KEY'),
    logLevel: envString(env, 'LOG_LEVEL', 'info')!,
    maxDraftsPerUser: envInt(env, 'MAX_DRAFTS_PER_USER', 1000, 1),
    maxRequestBytes: envInt(env, 'MAX_REQUEST_BYTES', 256 * 1024, 1024),
    maxBlobBytes: envInt(env, 'MAX_BLOB_BYTES', 10 * 1024 * 1024, 1024),
    postPublishWebhookUrl: webhook,
    confirmTimeoutSeconds: envInt(env, 'CONFIRM_TIMEOUT_SECONDS', 60, 1),
    publishConcurrency: envInt(env, 'PUBLISH_CONCURRENCY', 64, 1),
    publishConcurrencyPerHost: envInt(env, 'PUBLISH_CONCURRENCY_PER_HOST', 16, 1),
    publishTimeoutMs: envInt(env, 'PUBLISH_TIMEOUT_MS', 20_000, 100),
    maxPublishAttempts: envInt(env, 'MAX_PUBLISH_ATTEMPTS', 8, 1),
    leaseSeconds: envInt(env, 'LEASE_SECONDS', 60, 5),
    claimLookaheadMs: envInt(env, 'CLAIM_LOOKAHEAD_MS', 1000, 0),
    dynamicContentAllowedHosts: hosts,
    oauthClientName: envString(env, 'OAUTH_CLIENT_NAME', 'Sundial scheduler')!,
    oauthAllowHttp: envBool(env, 'OAUTH_ALLOW_HTTP', new URL(publicUrl).protocol === 'http:'),
    oauthHandleResolverUrl: envUrl(env, 'OAUTH_HANDLE_RESOLVER_URL', 'https://api.bsky.app')!,
    oauthPrivateKey: envString(env, 'OAUTH_PRIVATE_KEY'),
    instanceId: envString(env, 'INSTANCE_ID'),
  }
}
