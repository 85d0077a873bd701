import { describe, expect, it } from 'vitest'
import { OperatorAuth, readCookie, sessionCookie } from './auth.ts'

describe('OperatorAuth', () => {
  it('issues sessions that verify until they expire', () => {
    const auth = new OperatorAuth({ adminPassword: 'pw', sessionTtlMs: 1000 })
    const session = auth.issueSession(10_000)
    expect(auth.verifySession(session, 10_500)).toBe(true)
    expect(auth.verifySession(session, 11_001)).toBe(false)
  })

  it('rejects tampered sessions and sessions signed under another password', () => {
    const auth = new OperatorAuth({ adminPassword: 'pw' })
    const session = auth.issueSession()
    const [expires, nonce, mac] = session.split('.')
    expect(auth.verifySession(`${Number(expires) + 1}.${nonce}.${mac}`)).toBe(false)
    expect(auth.verifySession(`${expires}.${nonce}.${mac.slice(1)}`)).toBe(false)
    expect(auth.verifySession('garbage')).toBe(false)
    expect(new OperatorAuth({ adminPassword: 'other' }).verifySession(session)).toBe(false)
  })

  it('checks the password and is closed when nothing is configured', () => {
    const auth = new OperatorAuth({ adminPassword: 'pw' })
    expect(auth.checkPassword('pw')).toBe(true)
    expect(auth.checkPassword('pw ')).toBe(false)
    expect(auth.checkPassword(undefined)).toBe(false)
    const closed = new OperatorAuth({})
    expect(closed.enabled).toBe(false)
    expect(closed.checkPassword('')).toBe(false)
  })

  it('reads and writes the cookie', () => {
    const header = sessionCookie('a.b.c', { path: '/dashboard', secure: true, maxAgeMs: 60_000 })
    expect(header).toBe(
      'sundial_dashboard=a.b.c; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=60; Secure',
    )
    expect(readCookie('x=1; sundial_dashboard=a.b.c; y=2', 'sundial_dashboard')).toBe('a.b.c')
    expect(readCookie('x=1', 'sundial_dashboard')).toBeUndefined()
  })
})
