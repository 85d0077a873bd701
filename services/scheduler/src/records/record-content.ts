import type { JsonRecord } from './record-cid.ts'

/** The record as it goes out: `$type` filled in and, unless the client keeps its own, createdAt = now. */
export function recordForPublish(
  record: JsonRecord,
  collection: string,
  publishAt: Date,
  keepCreatedAt: boolean,
) {
  const out: JsonRecord = { ...record, $type: record.$type ?? collection }
  if (!keepCreatedAt && 'createdAt' in record) out.createdAt = publishAt.toISOString()
  return out
}

/**
 * Whether the record on the PDS is the one we meant to write, ignoring createdAt when we set it at publish
 * time (a retry cannot know the timestamp a lost attempt used).
 */
export function sameRecordContent(onPds: unknown, ours: JsonRecord, ignoreCreatedAt: boolean): boolean {
  if (typeof onPds !== 'object' || onPds === null) return false
  const strip = (r: JsonRecord) => {
    if (!ignoreCreatedAt) return r
    const { createdAt: _createdAt, ...rest } = r
    return rest
  }
  return canonical(strip(onPds as JsonRecord)) === canonical(strip(ours))
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as JsonRecord)[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}
