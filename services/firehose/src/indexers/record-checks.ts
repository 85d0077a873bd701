import { jsonToLex } from '@atproto/lexicon'
import type { ValidationResult } from '@atproto/lexicon'
import { normalizeDatetimeAlways } from '@atproto/syntax'
import { isPlainUtcDatetime } from '../ingest/formats.ts'
import { reject } from '../ingest/rejections.ts'
import type { Rejection } from '../ingest/rejections.ts'

/** Where a record came from: everything about a commit except the record itself. */
export interface RecordContext {
  did: string
  collection: string
  rkey: string
  uri: string
  cid: string
  rev: string
  /** When the network saw the event (Jetstream `time_us`); stored as indexed_at, capped at the present. */
  timeUs: number
}

/** Validates a record in its JSON form against its lexicon (blob refs and `$link`s decoded first). */
export function checkLexicon<T>(
  validate: (value: unknown) => ValidationResult<T>,
  record: unknown,
): Rejection | undefined {
  let lex: unknown
  try {
    lex = jsonToLex(record)
  } catch (err) {
    return reject('invalid_record', err instanceof Error ? err.message : String(err))
  }
  const result = validate(lex)
  return result.success ? undefined : reject('invalid_record', result.error.message)
}

const SUSPECT_ESCAPE = /\\u0000|\\ud[89a-f]/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Serialises a record for storage, refusing what Postgres cannot store: NUL characters (text and jsonb reject
 * them) and unpaired surrogates (jsonb rejects their escapes).
 */
export function recordJson(record: unknown): string | Rejection {
  const json = JSON.stringify(record)
  // JSON.stringify writes U+0000 as \u0000 and lone surrogates as \udxxx; a hit may also be an escaped
  // backslash followed by those letters, so look closer only then.
  if (SUSPECT_ESCAPE.test(json)) {
    const bad = findBadString(record)
    if (bad) return reject(bad)
  }
  return json
}

function findBadString(value: unknown): 'nul_character' | 'invalid_unicode' | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return 'nul_character'
    if (LONE_SURROGATE.test(value)) return 'invalid_unicode'
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, inner] of Object.entries(value)) {
    const bad = findBadString(key) ?? findBadString(inner)
    if (bad) return bad
  }
  return undefined
}

export const EPOCH = '1970-01-01T00:00:00.000Z'

/**
 * A record's `createdAt` as the reference AppView reads it: normalised to an ISO timestamp, and the epoch when it
 * cannot be parsed (or names year 0, which Postgres cannot store).
 */
export function normalizeCreatedAt(value: string): string {
  if (value.length === 24 && isPlainUtcDatetime(value)) return value
  const normalized = normalizeDatetimeAlways(value)
  return normalized.startsWith('0000') || normalized.startsWith('-') ? EPOCH : normalized
}
