import type { JsonRecord } from './record-cid.ts'

export interface BlobRefJson {
  $type: 'blob'
  ref: { $link: string }
  mimeType: string
  size: number
}

function isBlobRef(value: unknown): value is BlobRefJson {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  const ref = v.ref as Record<string, unknown> | undefined
  return v.$type === 'blob' && typeof ref === 'object' && ref !== null && typeof ref.$link === 'string'
}

/** Every blob CID a JSON record references, in order, without duplicates. */
export function collectBlobCids(value: unknown, out = new Set<string>()): string[] {
  if (Array.isArray(value)) {
    for (const item of value) collectBlobCids(item, out)
  } else if (isBlobRef(value)) {
    out.add(value.ref.$link)
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) collectBlobCids(item, out)
  }
  return [...out]
}

/**
 * A copy of the record with each known blob's mimeType and size replaced by what the PDS reported on
 * upload: the PDS sniffs the type itself and rejects a record whose ref disagrees.
 */
export function withBlobMetadata<T>(value: T, uploaded: Map<string, { mimeType: string; size: number }>): T {
  if (Array.isArray(value)) return value.map((item) => withBlobMetadata(item, uploaded)) as T
  if (isBlobRef(value)) {
    const found = uploaded.get(value.ref.$link)
    return (found ? { ...value, mimeType: found.mimeType, size: found.size } : value) as T
  }
  if (typeof value === 'object' && value !== null) {
    const out: JsonRecord = {}
    for (const [k, v] of Object.entries(value)) out[k] = withBlobMetadata(v, uploaded)
    return out as T
  }
  return value
}
