import { isValidDid, isValidNsid } from '@atproto/syntax'

/** Limits real Jetstream v1 enforces on a subscriber's filters. */
export const MAX_WANTED_COLLECTIONS = 100
export const MAX_WANTED_DIDS = 10_000

/**
 * One subscriber's filters. Empty sets mean "everything". The collection filter only applies to commit
 * events; identity and account events always pass it (they still honour `wantedDids`).
 */
export interface SubscriberFilter {
  wantedCollections: ReadonlySet<string>
  /** Prefixes from `prefix.*` patterns, each kept with its trailing dot (`app.bsky.graph.`). */
  wantedCollectionPrefixes: readonly string[]
  wantedDids: ReadonlySet<string>
  /** Frames larger than this many bytes are not sent to the subscriber; 0 means no limit. */
  maxMessageSizeBytes: number
}

export type FilterResult = { ok: true; filter: SubscriberFilter } | { ok: false; error: string }

export interface FilterOptions {
  wantedCollections?: readonly string[]
  wantedDids?: readonly string[]
  maxMessageSizeBytes?: number
}

export const MATCH_ALL: SubscriberFilter = {
  wantedCollections: new Set(),
  wantedCollectionPrefixes: [],
  wantedDids: new Set(),
  maxMessageSizeBytes: 0,
}

/** Builds a filter from the `/subscribe` query string. */
export function filterFromQuery(params: URLSearchParams): FilterResult {
  return buildFilter({
    wantedCollections: params.getAll('wantedCollections'),
    wantedDids: params.getAll('wantedDids'),
    maxMessageSizeBytes: parseSizeParam(params.get('maxMessageSizeBytes')),
  })
}

/**
 * Builds a filter from an `options_update` payload. Like Jetstream, the update replaces every filter: a field
 * left out of the payload resets to "everything".
 */
export function filterFromOptionsUpdate(payload: unknown): FilterResult {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, error: 'options_update payload must be an object' }
  }
  const { wantedCollections, wantedDids, maxMessageSizeBytes } = payload as Record<string, unknown>
  if (wantedCollections !== undefined && wantedCollections !== null && !isStringArray(wantedCollections)) {
    return { ok: false, error: 'wantedCollections must be an array of strings' }
  }
  if (wantedDids !== undefined && wantedDids !== null && !isStringArray(wantedDids)) {
    return { ok: false, error: 'wantedDids must be an array of strings' }
  }
  if (maxMessageSizeBytes !== undefined && maxMessageSizeBytes !== null) {
    if (typeof maxMessageSizeBytes !== 'number' || !Number.isInteger(maxMessageSizeBytes)) {
      return { ok: false, error: 'maxMessageSizeBytes must be an integer' }
    }
  }
  return buildFilter({
    wantedCollections: wantedCollections ?? undefined,
    wantedDids: wantedDids ?? undefined,
    maxMessageSizeBytes: Math.max(0, (maxMessageSizeBytes as number | null | undefined) ?? 0),
  })
}

export function buildFilter(options: FilterOptions): FilterResult {
  const wantedCollections = new Set<string>()
  const prefixes = new Set<string>()
  for (const pattern of options.wantedCollections ?? []) {
    if (pattern.endsWith('.*')) {
      // Jetstream accepts any `<prefix>.*` (e.g. `app.bsky.*`) without checking the prefix as an NSID.
      prefixes.add(pattern.slice(0, -1))
    } else if (isValidNsid(pattern)) {
      wantedCollections.add(pattern)
    } else {
      return { ok: false, error: `invalid collection: ${pattern}` }
    }
    if (wantedCollections.size + prefixes.size > MAX_WANTED_COLLECTIONS) {
      return { ok: false, error: `too many wanted collections (max ${MAX_WANTED_COLLECTIONS})` }
    }
  }
  const wantedDids = new Set<string>()
  for (const did of options.wantedDids ?? []) {
    if (!isValidDid(did)) return { ok: false, error: `invalid DID: ${did}` }
    wantedDids.add(did)
  }
  if (wantedDids.size > MAX_WANTED_DIDS) {
    return { ok: false, error: `too many wanted DIDs (max ${MAX_WANTED_DIDS})` }
  }
  return {
    ok: true,
    filter: {
      wantedCollections,
      wantedCollectionPrefixes: [...prefixes],
      wantedDids,
      maxMessageSizeBytes: options.maxMessageSizeBytes ?? 0,
    },
  }
}

/** What a filter needs to know about a frame. `did`/`collection` are null when unknown (raw frames). */
export interface FilterSubject {
  did: string | null
  collection: string | null
  byteLength: number
}

export function filterAccepts(filter: SubscriberFilter, subject: FilterSubject): boolean {
  if (filter.maxMessageSizeBytes > 0 && subject.byteLength > filter.maxMessageSizeBytes) return false
  if (filter.wantedDids.size > 0 && subject.did !== null && !filter.wantedDids.has(subject.did)) return false
  if (subject.collection === null) return true
  if (filter.wantedCollections.size === 0 && filter.wantedCollectionPrefixes.length === 0) return true
  if (filter.wantedCollections.has(subject.collection)) return true
  return filter.wantedCollectionPrefixes.some((prefix) => subject.collection!.startsWith(prefix))
}

/** Jetstream coerces an empty, malformed or negative size to 0 (no limit) rather than rejecting it. */
function parseSizeParam(value: string | null): number {
  if (value === null || !/^-?\d+$/.test(value)) return 0
  return Math.max(0, Number.parseInt(value, 10))
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}
