// Reading fields out of stored records (JSON from Jetstream or backfill). Records passed lexicon validation on
// ingest, but every accessor still tolerates a missing or odd field so a view never throws.

export type JsonObject = Record<string, unknown>

export function asObject(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** The CID of a blob in either the current (`ref.$link`) or legacy (`cid`) JSON form. */
export function blobCid(blob: unknown): string | undefined {
  const obj = asObject(blob)
  if (!obj) return undefined
  const ref = obj.ref
  if (typeof ref === 'string') return ref
  const link = asString(asObject(ref)?.$link)
  if (link) return link
  // A CID object that went through JSON.stringify has a toString() that became `{ "/": ... }` or similar.
  const slash = asString(asObject(ref)?.['/'])
  if (slash) return slash
  return asString(obj.cid)
}

/** The at-uri a record or recordWithMedia embed points at. */
export function embeddedRecordUri(record: unknown): string | undefined {
  const embed = asObject(asObject(record)?.embed)
  if (!embed) return undefined
  if (embed.$type === 'app.bsky.embed.record') return asString(asObject(embed.record)?.uri)
  if (embed.$type === 'app.bsky.embed.recordWithMedia') {
    return asString(asObject(asObject(embed.record)?.record)?.uri)
  }
  return undefined
}

/** `did` of an at-uri such as `at://did:plc:x/app.bsky.feed.post/3k`. */
export function didFromUri(uri: string): string {
  const rest = uri.startsWith('at://') ? uri.slice(5) : uri
  const slash = rest.indexOf('/')
  return slash === -1 ? rest : rest.slice(0, slash)
}

export function collectionFromUri(uri: string): string | undefined {
  const rest = uri.startsWith('at://') ? uri.slice(5) : uri
  return rest.split('/')[1]
}

/** The reply parent of a stored post record, if it is a reply. */
export function replyParentUri(record: unknown): string | undefined {
  return asString(asObject(asObject(asObject(record)?.reply)?.parent)?.uri)
}
