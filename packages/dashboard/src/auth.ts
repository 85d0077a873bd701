import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Request } from 'express'

export const SESSION_COOKIE = 'sundial_dashboard'

export interface OperatorAuthOptions {
  /** Password for the login form; unset disables the form. */
  adminPassword?: string
  /** Token accepted as `Authorization: Bearer <token>` (scripts, monitoring); unset disables it. */
  adminToken?: string
  /** Key for signing session cookies; defaults to one derived from the password, so changing it logs everyone out. */
  sessionSecret?: string
  /** Session lifetime; default 12 hours. */
  sessionTtlMs?: number
}

/** Operator authentication: a password login that yields a signed session cookie, or a bearer token. */
export class OperatorAuth {
  private readonly key: Buffer | undefined
  readonly sessionTtlMs: number

  constructor(private readonly opts: OperatorAuthOptions) {
    const secret = opts.sessionSecret ?? opts.adminPassword
    this.key = secret ? createHmac('sha256', 'sundial-dashboard-session').update(secret).digest() : undefined
    this.sessionTtlMs = opts.sessionTtlMs ?? 12 * 60 * 60 * 1000
  }

  /** False when neither a password nor a token is configured: the dashboard then stays closed. */
  get enabled(): boolean {
    return Boolean(this.opts.adminPassword || this.opts.adminToken)
  }

  get passwordLogin(): boolean {
    return Boolean(this.opts.adminPassword && this.key)
  }

  checkPassword(candidate: unknown): boolean {
    if (!this.opts.adminPassword || typeof candidate !== 'string') return false
    return sameSecret(candidate, this.opts.adminPassword)
  }

  /** `<expiresAtMs>.<nonce>.<hmac>`; nothing to store server-side. */
  issueSession(now = Date.now()): string {
    if (!this.key) throw new Error('no session key: set ADMIN_PASSWORD')
    const payload = `${now + this.sessionTtlMs}.${randomBytes(12).toString('base64url')}`
    return `${payload}.${this.sign(payload)}`
  }

  verifySession(value: string | undefined, now = Date.now()): boolean {
    if (!this.key || !value) return false
    const parts = value.split('.')
    if (parts.length !== 3) return false
    const [expires, nonce, mac] = parts
    const expected = this.sign(`${expires}.${nonce}`)
    if (mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected)))
      return false
    const expiresAt = Number(expires)
    return Number.isFinite(expiresAt) && expiresAt > now
  }

  /** How the request is authenticated, if at all. */
  authenticate(req: Request): 'session' | 'token' | undefined {
    const header = req.get('authorization')
    if (header?.startsWith('Bearer ') && this.opts.adminToken) {
      if (sameSecret(header.slice('Bearer '.length).trim(), this.opts.adminToken)) return 'token'
    }
    if (this.verifySession(readCookie(req.get('cookie'), SESSION_COOKIE))) return 'session'
    return undefined
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key!).update(payload).digest('base64url')
  }
}

/** Constant-time comparison of two secrets of any length. */
function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest()
  const db = createHash('sha256').update(b).digest()
  return timingSafeEqual(da, db)
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim())
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

export interface CookieOptions {
  path: string
  secure: boolean
  maxAgeMs?: number
}

export function sessionCookie(value: string, opts: CookieOptions): string {
  const parts = [
    `${SESSION_COOKIE}=${encodeURIComponent(value)}`,
    `Path=${opts.path}`,
    'HttpOnly',
    'SameSite=Strict',
  ]
  if (opts.maxAgeMs !== undefined) parts.push(`Max-Age=${Math.floor(opts.maxAgeMs / 1000)}`)
  if (opts.secure) parts.push('Secure')
  return parts.join('; ')
}
