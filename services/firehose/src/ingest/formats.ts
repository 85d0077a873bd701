// Fast acceptance for the shapes that make up nearly all real traffic. Each check only accepts strings that the
// full syntax and lexicon checks accept too (formats.test.ts holds that line), so a match is valid and anything
// else falls through to the complete, slower check: never the other way round. They run several times per event,
// so they compare character codes against tables rather than run regular expressions.

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
const TID_FIRST = '234567abcdefghij'
/** Top two bits zero: the character after `bafyrei` / `bafkrei`, where the 36 bytes leave two bits of a byte. */
const CID_EIGHTH = 'abcdefgh'
/** Low two bits zero: 58 characters carry 290 bits for 288. */
const CID_LAST = 'aeimquy4'

function table(chars: string): Uint8Array {
  const t = new Uint8Array(128)
  for (const c of chars) t[c.charCodeAt(0)] = 1
  return t
}

const IS_BASE32 = table(BASE32)
const IS_TID_FIRST = table(TID_FIRST)
const IS_CID_EIGHTH = table(CID_EIGHTH)
const IS_CID_LAST = table(CID_LAST)

function allIn(value: string, from: number, to: number, t: Uint8Array): boolean {
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i)
    if (c >= 128 || t[c] === 0) return false
  }
  return true
}

/** `did:plc:` and 24 base32 characters. */
export function isPlcDid(value: string): boolean {
  return value.length === 32 && value.startsWith('did:plc:') && allIn(value, 8, 32, IS_BASE32)
}

/** A TID: 13 base32-sortable characters, the first at most `j`. */
export function isTid(value: string, at = 0): boolean {
  const c = value.charCodeAt(at)
  return c < 128 && IS_TID_FIRST[c] === 1 && allIn(value, at + 1, at + 13, IS_BASE32)
}

export function isTidString(value: string): boolean {
  return value.length === 13 && isTid(value)
}

function isCidWithPrefix(value: string, prefix: string): boolean {
  if (value.length !== 59 || !value.startsWith(prefix)) return false
  const eighth = value.charCodeAt(7)
  const last = value.charCodeAt(58)
  return (
    eighth < 128 &&
    IS_CID_EIGHTH[eighth] === 1 &&
    last < 128 &&
    IS_CID_LAST[last] === 1 &&
    allIn(value, 8, 58, IS_BASE32)
  )
}

/** CIDv1 + dag-cbor + sha2-256 in base32 (`bafyrei…`, 59 characters): how records are addressed. */
export function isDagCborCid(value: string): boolean {
  return isCidWithPrefix(value, 'bafyrei')
}

/** CIDv1 + raw + sha2-256 in base32 (`bafkrei…`): how blobs are addressed. */
export function isRawCid(value: string): boolean {
  return isCidWithPrefix(value, 'bafkrei')
}

const POST_URI_MIDDLE = '/app.bsky.feed.post/'

/** `at://did:plc:…/app.bsky.feed.post/<tid>`. */
export function isPlcPostUri(value: string): boolean {
  return (
    value.length === 70 &&
    value.startsWith('at://did:plc:') &&
    allIn(value, 13, 37, IS_BASE32) &&
    value.startsWith(POST_URI_MIDDLE, 37) &&
    isTid(value, 57)
  )
}

function digits(value: string, from: number, count: number): number {
  let n = 0
  for (let i = from; i < from + count; i++) {
    const d = value.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/** `YYYY-MM-DDTHH:MM:SS(.f{1,6})Z` between 1970 and 2999 naming a real calendar day. */
export function isPlainUtcDatetime(value: string): boolean {
  const n = value.length
  if (n < 20 || n > 27 || value.charCodeAt(n - 1) !== 90 /* Z */) return false
  if (value[4] !== '-' || value[7] !== '-' || value[10] !== 'T' || value[13] !== ':' || value[16] !== ':')
    return false
  if (n > 20 && (value[19] !== '.' || n === 21 || digits(value, 20, n - 21) < 0)) return false
  const year = digits(value, 0, 4)
  const month = digits(value, 5, 2)
  const day = digits(value, 8, 2)
  const hour = digits(value, 11, 2)
  const minute = digits(value, 14, 2)
  const second = digits(value, 17, 2)
  return (
    year >= 1970 &&
    year <= 2999 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59
  )
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** A `com.atproto.repo.strongRef` to a post with exactly the keys `uri` and `cid`, in the fast shapes. */
export function isPlainPostRef(value: unknown): value is { uri: string; cid: string } {
  if (typeof value !== 'object' || value === null) return false
  const ref = value as Record<string, unknown>
  let keys = 0
  for (const _ in ref) keys++
  return (
    keys === 2 &&
    typeof ref.uri === 'string' &&
    typeof ref.cid === 'string' &&
    isPlcPostUri(ref.uri) &&
    isDagCborCid(ref.cid)
  )
}
