import { AuthRequiredError } from '@atproto/xrpc-server'
import type { MethodAuthContext } from '@atproto/xrpc-server'
import type { ServiceAuthVerifier } from '@sundial/common'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthVerifier } from './auth.ts'
import type { AuthVerifierOptions } from './auth.ts'
import type { LocalUsers } from './local-users.ts'

// The verified-token cache around the real verifier (tests/appview/auth.test.ts covers signatures end to end):
// here a stand-in verifier counts how often the signature would have been checked.

const TIMELINE = 'app.bsky.feed.getTimeline'
const PROFILE = 'app.bsky.actor.getProfile'
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const token = (exp: number, jti = 'a') =>
  `Bearer ${b64({ alg: 'ES256K' })}.${b64({ iss: 'did:plc:alice', exp, jti })}.sig`

function setup(opts: AuthVerifierOptions = {}) {
  const checked: string[] = []
  let reject = false
  const service = {
    verify: async (authorization: string, nsid: string) => {
      checked.push(`${nsid} ${authorization}`)
      if (reject) throw new AuthRequiredError('bad signature', 'BadJwtSignature')
      return { credentials: { type: 'service', did: 'did:plc:alice', aud: 'did:web:x', lxm: nsid } }
    },
  } as unknown as ServiceAuthVerifier
  const localUsers = { ensure: async () => {} } as unknown as LocalUsers
  const auth = new AuthVerifier(service, localUsers, opts)
  const call = (authorization: string, nsid = TIMELINE) =>
    auth.standard({
      req: { headers: { authorization }, url: `/xrpc/${nsid}` },
    } as unknown as MethodAuthContext)
  return { auth, call, checked, rejectAll: () => (reject = true) }
}

const nowSec = () => Math.floor(Date.now() / 1000)

afterEach(() => {
  vi.useRealTimers()
})

describe('verified-token cache', () => {
  it('checks a token once per method, and again for another method', async () => {
    const { call, checked } = setup()
    const t = token(nowSec() + 60)
    expect((await call(t)).credentials.viewer).toBe('did:plc:alice')
    await call(t)
    expect(checked).toHaveLength(1)
    await call(t, PROFILE)
    expect(checked).toHaveLength(2)
    // Any other token (another signature or payload) is checked on its own.
    await call(token(nowSec() + 60, 'b'))
    expect(checked).toHaveLength(3)
  })

  it('checks again once the token expires, or after maxCacheMs for a long-lived token', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-23T00:00:00Z') })
    const { call, checked } = setup({ maxCacheMs: 60_000 })
    const short = token(nowSec() + 10)
    const long = token(nowSec() + 3600, 'long')
    await call(short)
    await call(long)
    vi.advanceTimersByTime(11_000)
    await call(short)
    await call(long)
    expect(checked).toHaveLength(3)
    vi.advanceTimersByTime(50_000)
    await call(long)
    expect(checked).toHaveLength(4)
  })

  it('does not remember a token that failed, nor one without exp', async () => {
    const { call, checked, rejectAll } = setup()
    const noExp = `Bearer ${b64({ alg: 'ES256K' })}.${b64({ iss: 'did:plc:alice' })}.sig`
    await call(noExp)
    await call(noExp)
    expect(checked).toHaveLength(2)
    rejectAll()
    const t = token(nowSec() + 60)
    await expect(call(t)).rejects.toThrow(AuthRequiredError)
    await expect(call(t)).rejects.toThrow(AuthRequiredError)
    expect(checked).toHaveLength(4)
  })

  it('holds at most maxCachedTokens', async () => {
    const { auth, call } = setup({ maxCachedTokens: 5 })
    for (let i = 0; i < 20; i++) await call(token(nowSec() + 60, String(i)))
    expect((auth as unknown as { verified: Map<string, unknown> }).verified.size).toBe(5)
  })
})
