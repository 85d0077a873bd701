import type { JetstreamRecord } from '../events.ts'
import { randomBlobCid } from './identifiers.ts'
import type { Prng } from './prng.ts'
import { linkUrl, MAX_POST_CHARS, postText, shortPhrase, displayName } from './text.ts'

/** A strong ref (`com.atproto.repo.strongRef`) to a record. */
export interface StrongRef {
  cid: string
  uri: string
}

// Records are built in Jetstream's JSON form with keys in Jetstream's order: sorted, except blob refs
// (`$type`, `ref`, `mimeType`, `size`).

export function likeRecord(subject: StrongRef, createdAt: string): JetstreamRecord {
  return { $type: 'app.bsky.feed.like', createdAt, subject: { cid: subject.cid, uri: subject.uri } }
}

export function repostRecord(subject: StrongRef, createdAt: string): JetstreamRecord {
  return { $type: 'app.bsky.feed.repost', createdAt, subject: { cid: subject.cid, uri: subject.uri } }
}

export function followRecord(subjectDid: string, createdAt: string): JetstreamRecord {
  return { $type: 'app.bsky.graph.follow', createdAt, subject: subjectDid }
}

export interface PostShape {
  createdAt: string
  lang: string | null
  reply?: { root: StrongRef; parent: StrongRef }
  /** What to embed; `quote` needs `quoted`. */
  embed?: 'images' | 'quote' | 'external'
  quoted?: StrongRef
  /** Append a URL to the text, with its link facet. */
  withLink?: boolean
}

export function postRecord(prng: Prng, shape: PostShape): JetstreamRecord {
  const link = shape.withLink ? linkUrl(prng) : null
  let text = postText(prng, shape.lang, link ? MAX_POST_CHARS - link.length - 1 : MAX_POST_CHARS)
  let facets: unknown[] | undefined
  if (link) {
    const byteStart = Buffer.byteLength(text, 'utf8') + 1
    text = `${text} ${link}`
    facets = [
      {
        features: [{ $type: 'app.bsky.richtext.facet#link', uri: link }],
        index: { byteEnd: byteStart + Buffer.byteLength(link, 'utf8'), byteStart },
      },
    ]
  }
  const embed = buildEmbed(prng, shape)
  const record: JetstreamRecord = { $type: 'app.bsky.feed.post', createdAt: shape.createdAt }
  if (embed) record.embed = embed
  if (facets) record.facets = facets
  if (shape.lang) record.langs = [shape.lang]
  if (shape.reply) {
    const { parent, root } = shape.reply
    record.reply = { parent: { cid: parent.cid, uri: parent.uri }, root: { cid: root.cid, uri: root.uri } }
  }
  record.text = text
  return record
}

function buildEmbed(prng: Prng, shape: PostShape): Record<string, unknown> | undefined {
  switch (shape.embed) {
    case 'images': {
      const images = []
      for (let i = prng.range(1, 4); i > 0; i--) {
        const width = prng.pick([800, 1080, 1200, 1600, 2000, 4000])
        images.push({
          alt: prng.chance(0.4) ? shortPhrase(prng, 2, 12) : '',
          aspectRatio: { height: Math.round(width * prng.pick([0.5625, 0.75, 1, 1.25, 1.333])), width },
          image: blob(prng, 'image/jpeg', prng.range(40_000, 950_000)),
        })
      }
      return { $type: 'app.bsky.embed.images', images }
    }
    case 'quote':
      return { $type: 'app.bsky.embed.record', record: { cid: shape.quoted!.cid, uri: shape.quoted!.uri } }
    case 'external':
      return {
        $type: 'app.bsky.embed.external',
        external: {
          description: shortPhrase(prng, 4, 24),
          title: shortPhrase(prng, 2, 8),
          uri: linkUrl(prng),
        },
      }
    default:
      return undefined
  }
}

export function profileRecord(prng: Prng, createdAt: string): JetstreamRecord {
  const withAvatar = prng.chance(0.6)
  const record: JetstreamRecord = { $type: 'app.bsky.actor.profile' }
  if (withAvatar) record.avatar = blob(prng, 'image/jpeg', prng.range(10_000, 900_000))
  record.createdAt = createdAt
  record.description = shortPhrase(prng, 3, 30)
  record.displayName = displayName(prng)
  return record
}

function blob(prng: Prng, mimeType: string, size: number) {
  return { $type: 'blob', ref: { $link: randomBlobCid(prng) }, mimeType, size }
}
