import { describe, expect, it } from 'vitest'
import { AppBskyFeedLike, AppBskyFeedPost, ComAtprotoRepoStrongRef } from '@atproto/api'
import { jsonToLex } from '@atproto/lexicon'
import { cidForLex } from '@atproto/lex-cbor'
import { isValidAtUri, isValidDid, isValidRecordKey, isValidTid } from '@atproto/syntax'
import { isDagCborCid, isPlainUtcDatetime, isPlcDid, isPlcPostUri, isRawCid, isTidString } from './formats.ts'

const B32 = 'abcdefghijklmnopqrstuvwxyz234567'
const TID_FIRST = '234567abcdefghij'
const TID_CHARS = '234567abcdefghijklmnopqrstuvwxyz'

function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}
const random = seeded(42)
const pick = (chars: string) => chars[Math.floor(random() * chars.length)]
const many = (chars: string, n: number) => Array.from({ length: n }, () => pick(chars)).join('')

const did = () => `did:plc:${many(B32, 24)}`
const tid = () => pick(TID_FIRST) + many(TID_CHARS, 12)
const cid = () => `bafyrei${pick('abcdefgh')}${many(B32, 50)}${pick('aeimquy4')}`
const datetime = () => {
  const ms = Date.UTC(1970, 0, 1) + Math.floor(random() * (Date.UTC(2999, 11, 31) - Date.UTC(1970, 0, 1)))
  const iso = new Date(ms).toISOString()
  const digits = Math.floor(random() * 7)
  return digits === 0 ? iso.slice(0, 19) + 'Z' : iso.slice(0, 20) + many('0123456789', digits) + 'Z'
}

// The fast shapes are only worth having if they never accept what the full checks refuse.
describe('fast format checks', () => {
  it('accept only what the full syntax and lexicon checks accept', () => {
    for (let i = 0; i < 2000; i++) {
      const d = did()
      expect(isPlcDid(d)).toBe(true)
      expect(isValidDid(d)).toBe(true)
      const t = tid()
      expect(isTidString(t)).toBe(true)
      expect(isValidTid(t) && isValidRecordKey(t)).toBe(true)
      const uri = `at://${d}/app.bsky.feed.post/${t}`
      expect(isPlcPostUri(uri)).toBe(true)
      expect(isValidAtUri(uri)).toBe(true)
      const c = cid()
      expect(isDagCborCid(c)).toBe(true)
      expect(ComAtprotoRepoStrongRef.validateMain({ uri, cid: c }).success, c).toBe(true)
      const at = datetime()
      expect(isPlainUtcDatetime(at), at).toBe(true)
      const like = { $type: 'app.bsky.feed.like', subject: { uri, cid: c }, createdAt: at }
      expect(AppBskyFeedLike.validateRecord(like).success, at).toBe(true)
      if (i % 10 === 0) {
        // A blob link must survive the conversion the full check makes (it parses the CID).
        const link = `bafkrei${pick('abcdefgh')}${many(B32, 50)}${pick('aeimquy4')}`
        expect(isRawCid(link)).toBe(true)
        const image = { $type: 'blob', ref: { $link: link }, mimeType: 'image/png', size: 10 }
        const post = {
          $type: 'app.bsky.feed.post',
          text: 'x',
          createdAt: at,
          embed: { $type: 'app.bsky.embed.images', images: [{ alt: '', image }] },
        }
        expect(AppBskyFeedPost.validateRecord(jsonToLex(post)).success, link).toBe(true)
      }
    }
  })

  it('match the CIDs records really have', async () => {
    for (let i = 0; i < 300; i++) {
      const real = (await cidForLex({ $type: 'app.bsky.feed.like', n: i, s: many(B32, i % 40) })).toString()
      expect(isDagCborCid(real), real).toBe(true)
    }
  })

  it('leave everything unusual to the full checks', () => {
    expect(isPlainUtcDatetime('2100-02-29T00:00:00Z')).toBe(false)
    expect(isPlainUtcDatetime('2000-02-29T00:00:00.000Z')).toBe(true)
    expect(isPlainUtcDatetime('2024-01-01T00:00:00+00:00')).toBe(false)
    expect(isPlainUtcDatetime('2024-01-01T24:00:00Z')).toBe(false)
    expect(isPlainUtcDatetime('0001-01-01T00:00:00Z')).toBe(false)
    expect(isDagCborCid('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')).toBe(false)
    expect(isRawCid('bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')).toBe(false)
    expect(isPlcDid('did:plc:ABCDEFGHIJKLMNOPQRSTUVWX')).toBe(false)
    expect(isTidString('3l1aaaaaaaaa2')).toBe(false)
    expect(isPlcPostUri('at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.like/3laaaaaaaaaa2')).toBe(false)
    expect(isPlainUtcDatetime('2024-01-01T00:00:00.Z')).toBe(false)
    expect(isPlainUtcDatetime('2024-01-01T00:00:00.1234567Z')).toBe(false)
    expect(isPlainUtcDatetime('2024-1-01T00:00:00Z')).toBe(false)
    expect(isPlainUtcDatetime('2024-01-01T00:60:00Z')).toBe(false)
    expect(isPlcDid('did:web:example.com')).toBe(false)
  })
})
