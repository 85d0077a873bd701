import { isCid } from '@atproto/lex-data'

/**
 * Converts a decoded DAG-CBOR record to the JSON Jetstream sends: links become `{"$link"}`, bytes become
 * `{"$bytes"}` (unpadded base64), and object keys are sorted, as Jetstream's encoder does. Blob refs are the
 * exception Jetstream makes: their keys keep the order `$type`, `ref`, `mimeType`, `size`.
 */
export function recordToJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(recordToJson)
  if (isCid(value)) return { $link: value.toString() }
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64').replace(/=+$/, '') }
  const source = value as Record<string, unknown>
  if (source.$type === 'blob' && isCid(source.ref)) {
    return {
      $type: 'blob',
      ref: { $link: source.ref.toString() },
      mimeType: source.mimeType,
      size: source.size,
    }
  }
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(source).sort()) {
    if (source[key] !== undefined) out[key] = recordToJson(source[key])
  }
  return out
}
