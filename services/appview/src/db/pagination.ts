import { sql } from 'kysely'
import type { RawBuilder, SelectQueryBuilder } from 'kysely'

/** Where the next page starts: the last row's sort time and cid (or another unique tie-breaker). */
export interface TimeCidKey {
  time: Date
  cid: string
}

// Times we compare against: years 0001..9999. Beyond them Postgres would fail the query instead of paging.
export const MIN_TIME_MS = -62135596800000
export const MAX_TIME_MS = 253402300799999

export type CursorResult = { ok: true; key: TimeCidKey | undefined } | { ok: false; reason: string }

/** The reference AppView's keyset cursor: `<sort time, ms since epoch>__<cid>`. */
export function encodeTimeCid(key: TimeCidKey): string {
  return `${key.time.getTime()}__${key.cid}`
}

/** Parses a cursor; an absent cursor is the first page, a malformed one an error value. */
export function decodeTimeCid(cursor: string | undefined): CursorResult {
  if (cursor === undefined || cursor === '') return { ok: true, key: undefined }
  const parts = cursor.split('__')
  if (parts.length !== 2) return { ok: false, reason: 'Malformed cursor' }
  const [ms, cid] = parts
  if (!/^-?\d{1,16}$/.test(ms) || !/^[A-Za-z0-9:._-]{1,256}$/.test(cid)) {
    return { ok: false, reason: 'Malformed cursor' }
  }
  const time = new Date(Number(ms))
  if (!(time.getTime() >= MIN_TIME_MS && time.getTime() <= MAX_TIME_MS))
    return { ok: false, reason: 'Malformed cursor' }
  return { ok: true, key: { time, cid } }
}

export interface KeysetColumns {
  /** Column reference holding the sort time, e.g. `ti.sortAt`, or the expression an index orders by. */
  time: string | RawBuilder<Date>
  /** Column reference holding the tie-breaker, e.g. `ti.cid`. */
  cid: string
}

/**
 * Newest first, strictly after `key`. The row comparison lets Postgres start the index range scan at the
 * cursor instead of filtering from the top.
 */
export function paginateDesc<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  columns: KeysetColumns,
  key: TimeCidKey | undefined,
  limit: number,
): SelectQueryBuilder<DB, TB, O> {
  const time = typeof columns.time === 'string' ? sql.ref(columns.time) : columns.time
  const cid = sql.ref(columns.cid)
  let page = qb.orderBy(time, 'desc').orderBy(cid, 'desc').limit(limit)
  if (key) {
    page = page.where(sql<boolean>`(${time}, ${cid}) < (${key.time.toISOString()}::timestamptz, ${key.cid})`)
  }
  return page
}

/** The cursor for the page after `rows`, or undefined when the page came back short (nothing more). */
export function pageCursor<T>(rows: T[], limit: number, keyOf: (row: T) => TimeCidKey): string | undefined {
  const last = rows.at(-1)
  if (last === undefined || rows.length < limit) return undefined
  return encodeTimeCid(keyOf(last))
}
