import { isValidHandle } from '@atproto/syntax'
import { reject } from '../ingest/rejections.ts'
import type { Rejection } from '../ingest/rejections.ts'

export interface IdentityRow {
  did: string
  /** Lower-cased handle, or null when the event carries none. */
  handle: string | null
}

export interface AccountRow {
  did: string
  active: boolean
  /** `active`, or why not: deactivated, takendown, suspended, deleted, … */
  status: string
}

/** Jetstream identity event body: `{did, handle?, seq, time}`. */
export function indexIdentity(did: string, body: Record<string, unknown>): IdentityRow | Rejection {
  const handle = body.handle
  if (handle === undefined || handle === null) return { did, handle: null }
  if (typeof handle !== 'string' || !isValidHandle(handle)) {
    return reject('invalid_handle', typeof handle === 'string' ? handle : typeof handle)
  }
  return { did, handle: handle.toLowerCase() }
}

const STATUS = /^[a-z][a-z0-9_-]{0,63}$/

/** Jetstream account event body: `{did, active, status?, seq, time}`. */
export function indexAccount(did: string, body: Record<string, unknown>): AccountRow | Rejection {
  if (typeof body.active !== 'boolean') return reject('invalid_account', 'active is not a boolean')
  if (body.active) return { did, active: true, status: 'active' }
  const status = body.status ?? 'deactivated'
  if (typeof status !== 'string' || !STATUS.test(status))
    return reject('invalid_account', `status ${String(status)}`)
  return { did, active: false, status }
}
