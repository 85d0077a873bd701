import { didWebFor, envBool, envInt, envString, envUrl, readDatabaseConfig } from '@sundial/common'
import type { DatabaseConfig, Env } from '@sundial/common'

export interface AppViewConfig {
  /** Our DID: the `aud` every service JWT must carry. SERVICE_DID, default did:web of PUBLIC_URL's host. */
  serviceDid: string
  /** Where clients and PDSes reach us (named in did.json). PUBLIC_URL, default http://localhost:PORT. */
  publicUrl: string
  /** The scheduler's endpoint for did.json's #sundial_scheduler. SCHEDULER_PUBLIC_URL, default PUBLIC_URL. */
  schedulerUrl: string
  /** HTTP port; 0 picks a free one. PORT, default 2584. */
  port: number
  /** PLC directory for resolving token issuers' keys. PLC_URL, default https://plc.directory. */
  plcUrl: string
  db: DatabaseConfig
  /** Image URL template ({pds}, {did}, {cid}, {preset}); IMAGE_URL_PATTERN, default the PDS's getBlob. */
  imageUrlPattern?: string
  /** Validate every response against its lexicon before sending (a 500 instead of a bad body). */
  validateResponses: boolean
  logLevel: string
  /** Redis behind the Bus (live numbers other processes publish for the dashboard). REDIS_URL; unset: in-process. */
  redisUrl?: string
  /** Operator dashboard at /dashboard/: ADMIN_PASSWORD (sign-in form), ADMIN_TOKEN (bearer); both unset: closed. */
  adminPassword?: string
  adminToken?: string
}

export const DEFAULT_PORT = 2584

export function readConfig(env: Env): AppViewConfig {
  const port = envInt(env, 'PORT', DEFAULT_PORT)
  const publicUrl = envUrl(env, 'PUBLIC_URL', `http://localhost:${port}`)!.replace(/\/+$/, '')
  const serviceDid = envString(env, 'SERVICE_DID', didWebFor(publicUrl))!
  if (!/^did:[a-z]+:[A-Za-z0-9._:%-]+$/.test(serviceDid)) {
    throw new Error(`SERVICE_DID must be a DID, got "${serviceDid}"`)
  }
  return {
    serviceDid,
    publicUrl,
    schedulerUrl: envUrl(env, 'SCHEDULER_PUBLIC_URL', publicUrl)!.replace(/\/+$/, ''),
    port,
    plcUrl: envUrl(env, 'PLC_URL', 'https://plc.directory')!,
    db: readDatabaseConfig(env),
    imageUrlPattern: envString(env, 'IMAGE_URL_PATTERN'),
    validateResponses: envBool(env, 'VALIDATE_RESPONSES', false),
    logLevel: envString(env, 'LOG_LEVEL', 'info')!,
    redisUrl: envUrl(env, 'REDIS_URL'),
    adminPassword: envString(env, 'ADMIN_PASSWORD'),
    adminToken: envString(env, 'ADMIN_TOKEN'),
  }
}
