import { describe, expect, it } from 'vitest'
import { filterAccepts, filterFromOptionsUpdate, filterFromQuery, MATCH_ALL } from './filter.ts'
import type { SubscriberFilter } from './filter.ts'

function parse(query: string): SubscriberFilter {
  const result = filterFromQuery(new URLSearchParams(query))
  if (!result.ok) throw new Error(result.error)
  return result.filter
}

const alice = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'
const bob = 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb'
const commit = (collection: string, did = alice) => ({ did, collection, byteLength: 100 })
const identity = (did = alice) => ({ did, collection: null, byteLength: 100 })

describe('subscriber filters', () => {
  it('matches everything without parameters', () => {
    expect(filterAccepts(parse(''), commit('app.bsky.feed.post'))).toBe(true)
    expect(filterAccepts(MATCH_ALL, identity())).toBe(true)
  })

  it('filters commits by exact collection and by prefix wildcard', () => {
    const filter = parse('wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.graph.*')
    expect(filterAccepts(filter, commit('app.bsky.feed.post'))).toBe(true)
    expect(filterAccepts(filter, commit('app.bsky.graph.follow'))).toBe(true)
    expect(filterAccepts(filter, commit('app.bsky.graph.block'))).toBe(true)
    expect(filterAccepts(filter, commit('app.bsky.feed.like'))).toBe(false)
    expect(filterAccepts(filter, commit('app.bsky.graphx.follow'))).toBe(false)
  })

  it('accepts a two-segment wildcard like Jetstream does', () => {
    const filter = parse('wantedCollections=app.bsky.*')
    expect(filterAccepts(filter, commit('app.bsky.feed.like'))).toBe(true)
    expect(filterAccepts(filter, commit('chat.bsky.convo.message'))).toBe(false)
  })

  it('lets identity and account events through the collection filter but not the DID filter', () => {
    const filter = parse(`wantedCollections=app.bsky.feed.post&wantedDids=${alice}`)
    expect(filterAccepts(filter, identity(alice))).toBe(true)
    expect(filterAccepts(filter, identity(bob))).toBe(false)
    expect(filterAccepts(filter, commit('app.bsky.feed.post', bob))).toBe(false)
  })

  it('drops frames above maxMessageSizeBytes, and coerces junk sizes to no limit', () => {
    expect(filterAccepts(parse('maxMessageSizeBytes=50'), commit('app.bsky.feed.post'))).toBe(false)
    expect(filterAccepts(parse('maxMessageSizeBytes=100'), commit('app.bsky.feed.post'))).toBe(true)
    expect(parse('maxMessageSizeBytes=-5').maxMessageSizeBytes).toBe(0)
    expect(parse('maxMessageSizeBytes=abc').maxMessageSizeBytes).toBe(0)
  })

  it('rejects invalid collections and DIDs', () => {
    expect(filterFromQuery(new URLSearchParams('wantedCollections=not an nsid'))).toMatchObject({ ok: false })
    expect(filterFromQuery(new URLSearchParams('wantedCollections=app.bsky.fo*'))).toMatchObject({
      ok: false,
    })
    expect(filterFromQuery(new URLSearchParams('wantedDids=alice'))).toMatchObject({ ok: false })
    const tooMany = Array.from({ length: 101 }, (_, i) => `wantedCollections=com.example.c${i}`).join('&')
    expect(filterFromQuery(new URLSearchParams(tooMany))).toMatchObject({ ok: false })
  })

  it('replaces every filter on options_update, resetting omitted ones', () => {
    const updated = filterFromOptionsUpdate({ wantedCollections: ['app.bsky.feed.like'] })
    expect(updated.ok).toBe(true)
    if (!updated.ok) return
    expect([...updated.filter.wantedCollections]).toEqual(['app.bsky.feed.like'])
    expect(updated.filter.wantedDids.size).toBe(0)
    expect(updated.filter.maxMessageSizeBytes).toBe(0)
    expect(filterFromOptionsUpdate('nope')).toMatchObject({ ok: false })
    expect(filterFromOptionsUpdate({ wantedDids: [1] })).toMatchObject({ ok: false })
    expect(filterFromOptionsUpdate({ maxMessageSizeBytes: 1.5 })).toMatchObject({ ok: false })
  })
})
