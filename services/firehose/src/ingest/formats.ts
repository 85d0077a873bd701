// Fast acceptance for the shapes that make up nearly all real traffic. Each pattern only matches strings that
// the full syntax and lexicon checks accept too (formats.test.ts holds that line), so a match is valid and
// anything else falls through to the complete, slower check: never the other way round.

export const PLC_DID = /^did:plc:[a-z2-7]{24}$/

export const TID = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/

// CIDv1 + dag-cbor + sha2-256 in base32: the 36 bytes fix "afyrei" and the top two bits of the next character,
// and leave the two low bits of the last character zero (58 characters carry 290 bits for 288).
export const DAG_CBOR_CID = /^bafyrei[a-h][a-z2-7]{50}[aeimquy4]$/

export const PLC_POST_URI =
  /^at:\/\/did:plc:[a-z2-7]{24}\/app\.bsky\.feed\.post\/[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/

const UTC_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?Z$/

/** `YYYY-MM-DDTHH:MM:SS(.ffffff)Z` between 1970 and 2999 naming a real calendar day. */
export function isPlainUtcDatetime(value: string): boolean {
  const m = UTC_DATETIME.exec(value)
  if (!m) return false
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (year < 1970 || year > 2999 || month < 1 || month > 12 || day < 1) return false
  return day <= daysInMonth(year, month)
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
    PLC_POST_URI.test(ref.uri) &&
    DAG_CBOR_CID.test(ref.cid)
  )
}
