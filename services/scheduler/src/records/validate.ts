import { lexicons } from '@atproto/api'
import { jsonToLex } from '@atproto/lexicon'
import { ensureValidNsid, ensureValidRecordKey } from '@atproto/syntax'
import type { JsonRecord } from './record-cid.ts'

export type ValidationOutcome = { ok: true; status: 'valid' | 'unknown' } | { ok: false; message: string }

/**
 * Checks a record at draft time against the official lexicons @atproto/api ships, so a bad record is a clear
 * error now rather than a failed publish later. Collections without a known schema pass as `unknown`, as on
 * the PDS; `validate: false` skips the check, `validate: true` requires a schema.
 */
export function validateRecord(
  collection: string,
  record: JsonRecord,
  validate: boolean | undefined,
): ValidationOutcome {
  if (record.$type !== undefined && record.$type !== collection) {
    return { ok: false, message: `Invalid $type: expected ${collection}, got ${String(record.$type)}` }
  }
  if (validate === false) return { ok: true, status: 'unknown' }
  const def = lexicons.getDef(collection)
  if (!def || def.type !== 'record') {
    return validate === true
      ? { ok: false, message: `Unknown lexicon type: ${collection}` }
      : { ok: true, status: 'unknown' }
  }
  try {
    lexicons.assertValidRecord(collection, jsonToLex({ ...record, $type: collection }))
    return { ok: true, status: 'valid' }
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) }
  }
}

/** Returns an error message for an invalid collection NSID or record key, or undefined. */
export function checkRecordPath(collection: string, rkey: string | undefined): string | undefined {
  try {
    ensureValidNsid(collection)
  } catch {
    return `Invalid collection: ${collection}`
  }
  if (rkey !== undefined) {
    try {
      ensureValidRecordKey(rkey)
    } catch {
      return `Invalid record key: ${rkey}`
    }
  }
  return undefined
}
