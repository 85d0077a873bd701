// Keyset cursors `<createdAt ms>__<id>` over (created_at desc, id desc), one helper for every list.

export interface Keyset {
  createdAt: Date
  id: string
}

export function encodeCursor(row: Keyset): string {
  return `${row.createdAt.getTime()}__${row.id}`
}

/** Undefined for a malformed cursor: the handler turns that into InvalidRequestError. */
export function decodeCursor(cursor: string): Keyset | undefined {
  const m = /^(\d{1,15})__([A-Za-z0-9_-]{1,64})$/.exec(cursor)
  if (!m) return undefined
  return { createdAt: new Date(Number(m[1])), id: m[2] }
}
