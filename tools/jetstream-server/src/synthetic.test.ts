import { describe, expect, it } from 'vitest'
import { lexicons } from '@atproto/api'
import { jsonToLex } from '@atproto/lexicon'
import { isValidDid, isValidNsid, isValidTid } from '@atproto/syntax'
import type { JetstreamEvent } from './events.ts'
import { MALFORMED_REASONS, OVERSIZED_RECORD_BYTES, syntheticEvents } from './synthetic.ts'
import type { MalformedFrame, SyntheticItem } from './synthetic.ts'

const collect = (options: Parameters<typeof syntheticEvents>[0]): SyntheticItem[] => [
  ...syntheticEvents(options),
]
const validEvents = (items: SyntheticItem[]) =>
  items.filter((i): i is JetstreamEvent => i.kind !== 'malformed')

describe('syntheticEvents', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = JSON.stringify(collect({ seed: 7, count: 3_000, malformedEvery: 50 }))
    const b = JSON.stringify(collect({ seed: 7, count: 3_000, malformedEvery: 50 }))
    const c = JSON.stringify(collect({ seed: 8, count: 3_000, malformedEvery: 50 }))
    expect(a).toBe(b)
    expect(a).not.toBe(c)
  })

  it('mixes event types like the live network', () => {
    const events = validEvents(collect({ seed: 1, count: 50_000 }))
    const share = (predicate: (e: JetstreamEvent) => boolean) =>
      events.filter(predicate).length / events.length
    const creates = (collection: string) => (e: JetstreamEvent) =>
      e.kind === 'commit' && e.commit.operation === 'create' && e.commit.collection === collection
    expect(share(creates('app.bsky.feed.like'))).toBeGreaterThan(0.55)
    expect(share(creates('app.bsky.feed.like'))).toBeLessThan(0.63)
    expect(share(creates('app.bsky.feed.post'))).toBeGreaterThan(0.13)
    expect(share(creates('app.bsky.feed.post'))).toBeLessThan(0.17)
    expect(share(creates('app.bsky.feed.repost'))).toBeGreaterThan(0.085)
    expect(share(creates('app.bsky.graph.follow'))).toBeGreaterThan(0.085)
    expect(share((e) => e.kind === 'commit' && e.commit.operation === 'delete')).toBeGreaterThan(0.025)
    expect(share((e) => e.kind === 'commit' && e.commit.operation === 'update')).toBeGreaterThan(0.002)
    expect(share((e) => e.kind === 'identity')).toBeGreaterThan(0.005)
    expect(share((e) => e.kind === 'account')).toBeGreaterThan(0.002)
  })

  it('produces valid identifiers, increasing cursors and revs, and records that pass their lexicons', () => {
    const items = collect({ seed: 3, count: 8_000 })
    let lastTimeUs = 0
    const lastRev = new Map<string, string>()
    for (const item of items) {
      expect(item.time_us).toBeGreaterThan(lastTimeUs)
      lastTimeUs = item.time_us
      if (item.kind === 'malformed') continue
      expect(isValidDid(item.did)).toBe(true)
      expect(item.did).toMatch(/^did:plc:[a-z2-7]{24}$/)
      if (item.kind !== 'commit') continue
      const { commit } = item
      expect(isValidNsid(commit.collection)).toBe(true)
      expect(isValidTid(commit.rev)).toBe(true)
      expect(commit.rev > (lastRev.get(item.did) ?? '')).toBe(true)
      lastRev.set(item.did, commit.rev)
      if (commit.collection === 'app.bsky.actor.profile') expect(commit.rkey).toBe('self')
      else expect(isValidTid(commit.rkey)).toBe(true)
      if (commit.operation === 'delete') continue
      expect(commit.record.$type).toBe(commit.collection)
      expect(commit.cid).toMatch(/^bafyrei[a-z2-7]{52}$/)
      expect(() => lexicons.assertValidRecord(commit.collection, jsonToLex(commit.record))).not.toThrow()
    }
  })

  it('deletes only records that exist, and never creates over a live record', () => {
    const live = new Set<string>()
    let deletes = 0
    for (const event of validEvents(collect({ seed: 5, count: 40_000 }))) {
      if (event.kind !== 'commit') continue
      const key = `${event.did}/${event.commit.collection}/${event.commit.rkey}`
      if (event.commit.operation === 'create') {
        expect(live.has(key)).toBe(false)
        live.add(key)
      } else if (event.commit.operation === 'update') {
        expect(live.has(key)).toBe(true)
      } else {
        expect(live.has(key)).toBe(true)
        live.delete(key)
        deletes++
      }
    }
    expect(deletes).toBeGreaterThan(1_000)
  })

  it('writes realistic posts: replies, quotes, images, links, several languages', () => {
    const posts = validEvents(collect({ seed: 9, count: 30_000 })).flatMap((e) =>
      e.kind === 'commit' && e.commit.operation === 'create' && e.commit.collection === 'app.bsky.feed.post'
        ? [e.commit.record as unknown as Record<string, unknown> & { text: string }]
        : [],
    )
    const count = (predicate: (p: Record<string, unknown>) => boolean) => posts.filter(predicate).length
    const embedType = (p: Record<string, unknown>) => (p.embed as { $type?: string } | undefined)?.$type
    expect(count((p) => p.reply !== undefined) / posts.length).toBeGreaterThan(0.15)
    expect(count((p) => embedType(p) === 'app.bsky.embed.images')).toBeGreaterThan(0)
    expect(count((p) => embedType(p) === 'app.bsky.embed.record')).toBeGreaterThan(0)
    expect(count((p) => embedType(p) === 'app.bsky.embed.external')).toBeGreaterThan(0)
    expect(count((p) => p.facets !== undefined)).toBeGreaterThan(0)
    const langs = new Set(posts.flatMap((p) => (p.langs as string[] | undefined) ?? []))
    expect([...langs].sort()).toEqual(['de', 'en', 'es', 'ja', 'pt'])
    const lengths = posts.map((p) => p.text.length)
    expect(Math.min(...lengths)).toBeLessThan(20)
    expect(Math.max(...lengths)).toBeGreaterThan(250)
    expect(Math.max(...lengths)).toBeLessThanOrEqual(300)
    // Likes of posts from the stream point at them by URI and real CID.
    const postRefs = new Set<string>()
    let likesOfStreamPosts = 0
    for (const e of validEvents(collect({ seed: 9, count: 30_000 }))) {
      if (e.kind !== 'commit' || e.commit.operation !== 'create') continue
      if (e.commit.collection === 'app.bsky.feed.post') {
        postRefs.add(`at://${e.did}/app.bsky.feed.post/${e.commit.rkey} ${e.commit.cid}`)
      } else if (e.commit.collection === 'app.bsky.feed.like') {
        const subject = e.commit.record.subject as { uri: string; cid: string }
        if (postRefs.has(`${subject.uri} ${subject.cid}`)) likesOfStreamPosts++
      }
    }
    expect(likesOfStreamPosts).toBeGreaterThan(5_000)
  })

  it('salts malformed frames of every kind, each broken for its stated reason', () => {
    const items = collect({ seed: 11, count: 2_400, malformedEvery: 20 })
    const malformed = items.filter((i): i is MalformedFrame => i.kind === 'malformed')
    expect(malformed.length).toBe(Math.floor(2_400 / 21))
    expect(new Set(malformed.map((m) => m.reason))).toEqual(new Set(MALFORMED_REASONS))
    for (const { reason, frame, time_us } of malformed) {
      if (reason === 'invalid-json') {
        expect(() => JSON.parse(frame)).toThrow()
        continue
      }
      const event = JSON.parse(frame)
      expect(event.time_us).toBe(time_us)
      const { collection, record } = event.commit
      switch (reason) {
        case 'bad-did':
          expect(isValidDid(event.did)).toBe(false)
          break
        case 'bad-nsid':
          expect(isValidNsid(collection)).toBe(false)
          break
        case 'invalid-record':
          expect(() => lexicons.assertValidRecord(collection, jsonToLex(record))).toThrow()
          break
        case 'null-character':
          expect(record.text).toContain('\u0000')
          break
        case 'oversized':
          expect(Buffer.byteLength(frame)).toBeGreaterThan(OVERSIZED_RECORD_BYTES)
          break
      }
    }
  })
})
