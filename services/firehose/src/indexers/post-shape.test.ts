import { describe, expect, it } from 'vitest'
import { AppBskyFeedPost } from '@atproto/api'
import { jsonToLex } from '@atproto/lexicon'
import { syntheticEvents } from '@sundial/jetstream-server'
import { isPlainPost } from './post-shape.ts'

type Json = Record<string, unknown>

const lexiconAccepts = (record: unknown) => {
  try {
    return AppBskyFeedPost.validateRecord(jsonToLex(record)).success
  } catch {
    return false
  }
}

const REF = {
  uri: 'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l3qo2vutsw2b',
  cid: 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i',
}
const BLOB = {
  $type: 'blob',
  ref: { $link: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' },
  mimeType: 'image/jpeg',
  size: 1234,
}
const BASE: Json = {
  $type: 'app.bsky.feed.post',
  text: 'hello #world https://example.com @bob',
  createdAt: '2026-01-01T00:00:00.000Z',
  langs: ['en', 'pt-BR'],
  reply: { root: REF, parent: REF },
  facets: [
    {
      index: { byteStart: 0, byteEnd: 5 },
      features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'world' }],
    },
    {
      $type: 'app.bsky.richtext.facet',
      index: { byteStart: 6, byteEnd: 20 },
      features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com' }],
    },
    {
      index: { byteStart: 21, byteEnd: 25 },
      features: [{ $type: 'app.bsky.richtext.facet#mention', did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz' }],
    },
  ],
  embed: {
    $type: 'app.bsky.embed.recordWithMedia',
    record: { $type: 'app.bsky.embed.record', record: REF },
    media: {
      $type: 'app.bsky.embed.images',
      images: [{ alt: 'a', image: BLOB, aspectRatio: { width: 4, height: 3 } }],
    },
  },
}

/** Ways to bend a valid post; each result is either refused by the fast path or valid to the lexicon. */
const MUTATIONS: Array<[string, (p: Json) => void]> = [
  ['no createdAt', (p) => delete p.createdAt],
  ['no text', (p) => delete p.text],
  ['text too long', (p) => (p.text = 'x'.repeat(301))],
  ['3000 bytes of text', (p) => (p.text = '🎉'.repeat(1000))],
  ['text a number', (p) => (p.text = 5)],
  ['bad createdAt', (p) => (p.createdAt = '2026-02-30T00:00:00Z')],
  ['createdAt with offset', (p) => (p.createdAt = '2026-01-01T00:00:00+02:00')],
  ['four langs', (p) => (p.langs = ['en', 'fr', 'de', 'es'])],
  ['bad lang', (p) => (p.langs = ['english!'])],
  ['extra key', (p) => (p.extra = 1)],
  ['tags', (p) => (p.tags = ['a'])],
  ['wrong $type', (p) => (p.$type = 'app.bsky.feed.like')],
  ['reply missing parent', (p) => (p.reply = { root: REF })],
  [
    'reply to a did:web post',
    (p) =>
      (p.reply = {
        root: { ...REF, uri: 'at://did:web:x.com/app.bsky.feed.post/3l3qo2vutsw2b' },
        parent: REF,
      }),
  ],
  [
    'reply ref with $type',
    (p) => (p.reply = { root: { $type: 'com.atproto.repo.strongRef', ...REF }, parent: REF }),
  ],
  ['bad cid', (p) => (p.reply = { root: { ...REF, cid: 'bafyrei' }, parent: REF })],
  ['negative byteStart', (p) => ((p.facets as Json[])[0].index = { byteStart: -1, byteEnd: 2 })],
  ['fractional byteEnd', (p) => ((p.facets as Json[])[0].index = { byteStart: 0, byteEnd: 2.5 })],
  [
    'unknown feature',
    (p) => ((p.facets as Json[])[0].features = [{ $type: 'app.bsky.richtext.facet#bold' }]),
  ],
  ['feature without $type', (p) => ((p.facets as Json[])[0].features = [{ tag: 'x' }])],
  [
    'long tag',
    (p) =>
      ((p.facets as Json[])[0].features = [{ $type: 'app.bsky.richtext.facet#tag', tag: 'x'.repeat(65) }]),
  ],
  [
    'bad link',
    (p) => ((p.facets as Json[])[1].features = [{ $type: 'app.bsky.richtext.facet#link', uri: 'not a uri' }]),
  ],
  [
    'bad mention',
    (p) => ((p.facets as Json[])[2].features = [{ $type: 'app.bsky.richtext.facet#mention', did: 'bob' }]),
  ],
  [
    'five images',
    (p) => (p.embed = { $type: 'app.bsky.embed.images', images: Array(5).fill({ alt: '', image: BLOB }) }),
  ],
  ['image without alt', (p) => (p.embed = { $type: 'app.bsky.embed.images', images: [{ image: BLOB }] })],
  [
    'zero aspect ratio',
    (p) =>
      (p.embed = {
        $type: 'app.bsky.embed.images',
        images: [{ alt: '', image: BLOB, aspectRatio: { width: 0, height: 1 } }],
      }),
  ],
  [
    'blob with a bad link',
    (p) =>
      (p.embed = {
        $type: 'app.bsky.embed.images',
        images: [{ alt: '', image: { ...BLOB, ref: { $link: 'nope' } } }],
      }),
  ],
  [
    'blob as a string',
    (p) => (p.embed = { $type: 'app.bsky.embed.images', images: [{ alt: '', image: 'x' }] }),
  ],
  ['video', (p) => (p.embed = { $type: 'app.bsky.embed.video', video: { ...BLOB, mimeType: 'video/mp4' } })],
  [
    'external',
    (p) =>
      (p.embed = {
        $type: 'app.bsky.embed.external',
        external: { uri: 'https://a.b', title: 't', description: 'd', thumb: BLOB },
      }),
  ],
  [
    'external without description',
    (p) => (p.embed = { $type: 'app.bsky.embed.external', external: { uri: 'https://a.b', title: 't' } }),
  ],
  ['quote', (p) => (p.embed = { $type: 'app.bsky.embed.record', record: REF })],
  [
    'quote of a quote inside media',
    (p) => (p.embed = { ...(p.embed as Json), media: { $type: 'app.bsky.embed.record', record: REF } }),
  ],
  ['embed without $type', (p) => (p.embed = { images: [] })],
  ['unknown embed', (p) => (p.embed = { $type: 'app.bsky.embed.somethingNew', x: 1 })],
]

describe('isPlainPost', () => {
  it('takes the fast path for every post of a realistic stream, all valid to the lexicon', () => {
    let posts = 0
    for (const seed of [1, 2, 3]) {
      for (const item of syntheticEvents({ seed, count: 20_000 })) {
        if (item.kind !== 'commit' || item.commit.collection !== 'app.bsky.feed.post') continue
        if (item.commit.operation === 'delete') continue
        posts++
        expect(isPlainPost(item.commit.record), JSON.stringify(item.commit.record)).toBe(true)
        expect(lexiconAccepts(item.commit.record)).toBe(true)
      }
    }
    expect(posts).toBeGreaterThan(5_000)
  })

  it('accepts a post the lexicon accepts, in its most varied plain shape', () => {
    expect(isPlainPost(BASE)).toBe(true)
    expect(lexiconAccepts(BASE)).toBe(true)
  })

  it.each(MUTATIONS)('never accepts what the lexicon refuses: %s', (_name, mutate) => {
    const post = structuredClone(BASE)
    mutate(post)
    if (isPlainPost(post)) expect(lexiconAccepts(post)).toBe(true)
  })
})
