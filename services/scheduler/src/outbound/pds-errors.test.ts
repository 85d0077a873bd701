import { TokenRefreshError } from '@atproto/oauth-client-node'
import { XRPCError } from '@atproto/xrpc'
import { describe, expect, it } from 'vitest'
import { classifyPdsError } from './pds-errors.ts'

describe('classifyPdsError', () => {
  it('treats an OAuth session the PDS no longer honours as an auth failure, however it is wrapped', () => {
    const refused = new TokenRefreshError('did:plc:abc', 'The session was revoked')
    expect(classifyPdsError(refused)).toEqual({
      kind: 'auth',
      reason: 'TokenRefreshError: The session was revoked',
    })
    // What an agent's call throws when the refresh fails inside its fetch handler.
    const wrapped = new XRPCError(1, undefined, 'The session was deleted by another process', undefined, {
      cause: new TokenRefreshError('did:plc:abc', 'The session was deleted by another process'),
    })
    expect(classifyPdsError(wrapped)).toMatchObject({ kind: 'auth' })
    // A network failure wrapped the same way stays worth retrying.
    const network = new XRPCError(1, undefined, 'fetch failed', undefined, {
      cause: new TypeError('fetch failed'),
    })
    expect(classifyPdsError(network)).toMatchObject({ kind: 'transient' })
  })

  it('retries 5xx and 429 (at ratelimit-reset when near), refuses other 4xx, and re-authenticates on 401', () => {
    const now = Date.UTC(2026, 10, 23, 12)
    const reset = String(now / 1000 + 30)
    expect(classifyPdsError(new XRPCError(503, 'Unavailable'), now)).toMatchObject({ kind: 'transient' })
    expect(
      classifyPdsError(
        new XRPCError(429, 'RateLimitExceeded', 'slow down', { 'ratelimit-reset': reset }),
        now,
      ),
    ).toMatchObject({ kind: 'transient', retryAt: new Date(now + 30_000) })
    const farReset = String(now / 1000 + 2 * 3600)
    expect(
      classifyPdsError(
        new XRPCError(429, 'RateLimitExceeded', 'later', { 'ratelimit-reset': farReset }),
        now,
      ),
    ).toEqual({ kind: 'transient', reason: 'RateLimitExceeded (429): later', retryAt: undefined })
    expect(classifyPdsError(new XRPCError(400, 'InvalidRequest', 'bad record'), now)).toEqual({
      kind: 'permanent',
      reason: 'InvalidRequest (400): bad record',
    })
    expect(classifyPdsError(new XRPCError(401, 'ExpiredToken', 'expired'), now)).toMatchObject({
      kind: 'auth',
    })
    expect(classifyPdsError(new XRPCError(400, 'ExpiredToken', 'expired'), now)).toMatchObject({
      kind: 'auth',
    })
  })
})
