import type { Bus } from '@sundial/common'

// The live numbers each service publishes on the Bus (`bus.setStats(key, fields)`), read into typed shapes.
// Every field is optional: a service that is not running (or runs an older version) simply shows less.

export interface ErrorNote {
  at: number
  message: string
}

export interface FirehoseStats {
  available: boolean
  /** Events per second committed over the firehose's last stats period, all collections. */
  totalPerSec: number | null
  /** The same by short collection name (post, like, …) or kind (identity, account). */
  ratesPerSec: Record<string, number>
  cursorUs: number | null
  connected: boolean | null
  /** Reading from Jetstream is paused because the write queue is full (backpressure). */
  paused: boolean | null
  queueDepth: number | null
  lastError: ErrorNote | null
  raw: Record<string, string>
}

export interface SchedulerStats {
  available: boolean
  scheduled: number | null
  publishing: number | null
  /** How late the last publish reached the PDS after falling due. */
  lastLatenessMs: number | null
  /** PDS acknowledgment → seen on Jetstream, for the last confirmed publish. */
  lastConfirmMs: number | null
  /** Accounts the confirmation subscription is narrowed to. */
  wantedDids: number | null
  lastError: ErrorNote | null
  raw: Record<string, string>
}

export interface BackfillStats {
  available: boolean
  depth: number | null
  inFlight: number | null
  failed: number | null
  lastError: ErrorNote | null
  raw: Record<string, string>
}

export interface ServiceStats {
  firehose: FirehoseStats
  scheduler: SchedulerStats
  backfill: BackfillStats
}

export async function readServiceStats(bus: Bus): Promise<ServiceStats> {
  const [firehose, scheduler, backfill] = await Promise.all(
    ['firehose', 'scheduler', 'backfill'].map((key) => bus.getStats(key).catch(() => ({}))),
  )
  return {
    firehose: parseFirehoseStats(firehose),
    scheduler: parseSchedulerStats(scheduler),
    backfill: parseBackfillStats(backfill),
  }
}

const RATE_PREFIX = 'eventsPerSec.'

/** The firehose's hash (services/firehose/src/stats.ts): `eventsPerSec`, `eventsPerSec.<collection>`, `cursor`, … */
export function parseFirehoseStats(raw: Record<string, string>): FirehoseStats {
  const ratesPerSec: Record<string, number> = {}
  for (const [key, value] of Object.entries(raw)) {
    const n = num(value)
    if (!key.startsWith(RATE_PREFIX) || n === null) continue
    const name = shortCollection(key.slice(RATE_PREFIX.length))
    ratesPerSec[name] = (ratesPerSec[name] ?? 0) + n
  }
  let totalPerSec = num(raw.eventsPerSec)
  if (totalPerSec === null && Object.keys(ratesPerSec).length > 0) {
    totalPerSec = Object.values(ratesPerSec).reduce((a, b) => a + b, 0)
  }
  return {
    available: Object.keys(raw).length > 0,
    totalPerSec,
    ratesPerSec,
    cursorUs: num(raw.cursor),
    connected: flag(raw.connected),
    paused: flag(raw.paused),
    queueDepth: num(raw.queueDepth),
    lastError: errorNote(raw),
    raw,
  }
}

export function parseSchedulerStats(raw: Record<string, string>): SchedulerStats {
  return {
    available: Object.keys(raw).length > 0,
    scheduled: pick(raw, ['scheduled', 'draftsScheduled']),
    publishing: pick(raw, ['publishing', 'inFlight', 'draftsPublishing']),
    lastLatenessMs: pick(raw, ['lastLatenessMs']),
    lastConfirmMs: pick(raw, ['lastConfirmMs']),
    wantedDids: pick(raw, ['wantedDids']),
    lastError: errorNote(raw),
    raw,
  }
}

export function parseBackfillStats(raw: Record<string, string>): BackfillStats {
  return {
    available: Object.keys(raw).length > 0,
    depth: pick(raw, ['depth', 'queued', 'pending', 'queueDepth']),
    inFlight: pick(raw, ['inFlight', 'running', 'active']),
    failed: pick(raw, ['failed', 'failures']),
    lastError: errorNote(raw),
    raw,
  }
}

/** `app.bsky.feed.post` → `post`; kinds (`identity`, `account`) stay as they are. */
export function shortCollection(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot === -1 ? name : name.slice(dot + 1)
}

function num(value: string | undefined): number | null {
  if (value === undefined || value === '') return null
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}

function flag(value: string | undefined): boolean | null {
  if (value === undefined) return null
  return value === '1' || value === 'true'
}

function pick(raw: Record<string, string>, keys: string[]): number | null {
  for (const key of keys) {
    const n = num(raw[key])
    if (n !== null) return n
  }
  return null
}

function errorNote(raw: Record<string, string>): ErrorNote | null {
  const message = raw.lastError ?? raw.last_error
  if (!message) return null
  const at = num(raw.lastErrorAt ?? raw.last_error_at) ?? Date.parse(raw.lastErrorAt ?? '')
  return { at: Number.isFinite(at) ? at : Date.now(), message }
}
