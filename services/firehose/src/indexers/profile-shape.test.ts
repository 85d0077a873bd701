import { describe, expect, it } from 'vitest'
import { AppBskyActorProfile } from '@atproto/api'
import { jsonToLex } from '@atproto/lexicon'
import { syntheticEvents } from '@sundial/jetstream-server'
import { isPlainProfile } from './profile-shape.ts'

type Json = Record<string, unknown>

const lexiconAccepts = (record: unknown) => {
  try {
    return AppBskyActorProfile.validateRecord(jsonToLex(record)).success
  } catch {
    return false
  }
}

const BLOB = {
  $type: 'blob',
  ref: { $link: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' },
  mimeType: 'image/png',
  size: 1234,
}
const BASE: Json = {
  $type: 'app.bsky.actor.profile',
  displayName: 'Alice 🌷',
  description: 'hello\nworld',
  avatar: BLOB,
  banner: { ...BLOB, mimeType: 'image/jpeg' },
  createdAt: '2026-01-01T00:00:00.000Z',
}

const MUTATIONS: Array<[string, (p: Json) => void]> = [
  ['long name', (p) => (p.displayName = 'x'.repeat(65))],
  ['640 bytes of name', (p) => (p.displayName = '🎉'.repeat(200))],
  ['long description', (p) => (p.description = 'x'.repeat(257))],
  ['name a number', (p) => (p.displayName = 1)],
  ['avatar a string', (p) => (p.avatar = 'x')],
  ['avatar with a bad link', (p) => (p.avatar = { ...BLOB, ref: { $link: 'nope' } })],
  ['bad createdAt', (p) => (p.createdAt = 'yesterday')],
  ['pinned post', (p) => (p.pinnedPost = { uri: 'at://x', cid: 'y' })],
  ['labels', (p) => (p.labels = { $type: 'com.atproto.label.defs#selfLabels', values: [] })],
  ['wrong $type', (p) => (p.$type = 'app.bsky.feed.post')],
  ['no $type', (p) => delete p.$type],
]

describe('isPlainProfile', () => {
  it('takes the fast path for every profile of a realistic stream, all valid to the lexicon', () => {
    let profiles = 0
    for (const item of syntheticEvents({ seed: 4, count: 40_000 })) {
      if (item.kind !== 'commit' || item.commit.collection !== 'app.bsky.actor.profile') continue
      if (item.commit.operation === 'delete') continue
      profiles++
      expect(isPlainProfile(item.commit.record), JSON.stringify(item.commit.record)).toBe(true)
      expect(lexiconAccepts(item.commit.record)).toBe(true)
    }
    expect(profiles).toBeGreaterThan(100)
  })

  it('accepts a full plain profile the lexicon accepts', () => {
    expect(isPlainProfile(BASE)).toBe(true)
    expect(lexiconAccepts(BASE)).toBe(true)
    expect(isPlainProfile({ $type: 'app.bsky.actor.profile' })).toBe(true)
  })

  it.each(MUTATIONS)('never accepts what the lexicon refuses: %s', (_name, mutate) => {
    const profile = structuredClone(BASE)
    mutate(profile)
    if (isPlainProfile(profile)) expect(lexiconAccepts(profile)).toBe(true)
  })
})
