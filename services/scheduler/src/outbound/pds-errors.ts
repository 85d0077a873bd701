import { TokenInvalidError, TokenRefreshError, TokenRevokedError } from '@atproto/oauth-client-node'
import { XRPCError } from '@atproto/xrpc'

export type ErrorClass =
  | { kind: 'transient'; reason: string; retryAt?: Date }
  | { kind: 'auth'; reason: string }
  | { kind: 'permanent'; reason: string }

const AUTH_ERRORS = new Set([
  'AuthRequired',
  'AuthenticationRequired',
  'ExpiredToken',
  'InvalidToken',
  'AccountTakedown',
  'AccountDeactivated',
  'invalid_token',
  'invalid_grant',
])

/**
 * The OAuth client's "this session is over" errors (a refused refresh, a revoked or unusable token). Thrown inside
 * an agent's fetch, they reach us wrapped in an XRPCError of status 1, hence the walk down the causes. (These
 * classes keep the name "Error", so only instanceof tells them apart.)
 */
function oauthTokenFailure(err: unknown): string | undefined {
  let e = err
  for (let depth = 0; e instanceof Error && depth < 5; depth++, e = e.cause) {
    if (e instanceof TokenRefreshError || e instanceof TokenRevokedError || e instanceof TokenInvalidError) {
      return `${e.constructor.name}: ${e.message}`
    }
  }
  return undefined
}

/** Longest we honour a PDS's ratelimit-reset before falling back to our own backoff. */
const MAX_RATE_LIMIT_WAIT_MS = 60 * 60 * 1000

/**
 * Sorts a failed PDS call: network trouble, 5xx and 429 are worth retrying (429 at `ratelimit-reset`);
 * auth failures get one re-login before failing; other 4xx are the request's fault and final.
 */
export function classifyPdsError(err: unknown, now = Date.now()): ErrorClass {
  const tokenFailure = oauthTokenFailure(err)
  if (tokenFailure) return { kind: 'auth', reason: tokenFailure }
  if (err instanceof XRPCError) {
    const reason = `${err.error || 'Error'} (${err.status}): ${err.message}`
    if (err.status === 429) {
      const reset = Number(err.headers?.['ratelimit-reset'])
      const retryAt =
        Number.isFinite(reset) && reset * 1000 > now && reset * 1000 - now < MAX_RATE_LIMIT_WAIT_MS
          ? new Date(reset * 1000)
          : undefined
      return { kind: 'transient', reason, retryAt }
    }
    if (err.status === 401 || AUTH_ERRORS.has(err.error)) return { kind: 'auth', reason }
    if (err.status >= 500 || err.status < 100) return { kind: 'transient', reason }
    return { kind: 'permanent', reason }
  }
  const e = err as { name?: string; message?: string; error?: string; cause?: { error?: string } }
  const oauthCode = e?.error ?? e?.cause?.error
  if (oauthCode && AUTH_ERRORS.has(oauthCode)) return { kind: 'auth', reason: `${oauthCode}: ${e.message}` }
  const reason = e?.message ? `${e.name ?? 'Error'}: ${e.message}` : String(err)
  return { kind: 'transient', reason }
}

/** Exponential backoff with ±20% jitter: 5 s, 10 s, 20 s … capped at 10 minutes. */
export function backoffDelayMs(attempt: number, random = Math.random()): number {
  const base = Math.min(5_000 * 2 ** Math.max(0, attempt - 1), 10 * 60_000)
  return Math.round(base * (0.8 + 0.4 * random))
}
