import { isValidUri } from '@atproto/syntax'
import { isPlainPostRef, isPlainUtcDatetime, isPlcDid, isRawCid } from '../ingest/formats.ts'

// The shapes nearly every post has (text, langs, a reply, link/mention/tag facets, images, a link card, a quote,
// a quote with media), each checked strictly enough that the app.bsky.feed.post lexicon certainly accepts it.
// Anything else goes through the full lexicon check; post-shape.test.ts holds the line. Full validation of a
// post costs far more than the rest of its indexing (links become CIDs, text is segmented into graphemes).

type Json = Record<string, unknown>

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function hasOnlyKeys(value: Json, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false
  return true
}

const POST_KEYS = new Set(['$type', 'text', 'createdAt', 'langs', 'reply', 'facets', 'embed'])
const REPLY_KEYS = new Set(['root', 'parent'])
const FACET_KEYS = new Set(['$type', 'index', 'features'])
const INDEX_KEYS = new Set(['byteStart', 'byteEnd'])
const IMAGES_KEYS = new Set(['$type', 'images'])
const IMAGE_KEYS = new Set(['image', 'alt', 'aspectRatio'])
const RATIO_KEYS = new Set(['width', 'height'])
const BLOB_KEYS = new Set(['$type', 'ref', 'mimeType', 'size'])
const EXTERNAL_KEYS = new Set(['$type', 'external'])
const EXTERNAL_INNER_KEYS = new Set(['uri', 'title', 'description', 'thumb'])
const RECORD_KEYS = new Set(['$type', 'record'])
const RECORD_WITH_MEDIA_KEYS = new Set(['$type', 'record', 'media'])

/** A language tag in its everyday form (`en`, `pt-BR`): a subset of what BCP 47 syntax allows. */
const LANGUAGE = /^[a-z]{2,3}(?:-[A-Z]{2})?$/

/**
 * At most 300 UTF-16 code units: then at most 300 graphemes and 900 UTF-8 bytes, within the lexicon's
 * maxGraphemes 300 and maxLength 3000 without counting either.
 */
const MAX_PLAIN_TEXT_UNITS = 300
const MAX_PLAIN_TAG_UNITS = 64

export function isPlainPost(record: unknown): boolean {
  if (!isObject(record) || !hasOnlyKeys(record, POST_KEYS)) return false
  const { text, createdAt, langs, reply, facets, embed } = record
  return (
    record.$type === 'app.bsky.feed.post' &&
    typeof text === 'string' &&
    text.length <= MAX_PLAIN_TEXT_UNITS &&
    typeof createdAt === 'string' &&
    isPlainUtcDatetime(createdAt) &&
    (langs === undefined || isPlainLangs(langs)) &&
    (reply === undefined || isPlainReply(reply)) &&
    (facets === undefined || (Array.isArray(facets) && facets.every(isPlainFacet))) &&
    (embed === undefined || isPlainEmbed(embed, true))
  )
}

function isPlainLangs(langs: unknown): boolean {
  return (
    Array.isArray(langs) && langs.length <= 3 && langs.every((l) => typeof l === 'string' && LANGUAGE.test(l))
  )
}

function isPlainReply(reply: unknown): boolean {
  return (
    isObject(reply) &&
    hasOnlyKeys(reply, REPLY_KEYS) &&
    isPlainPostRef(reply.root) &&
    isPlainPostRef(reply.parent)
  )
}

function isCount(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min
}

function isPlainFacet(facet: unknown): boolean {
  if (!isObject(facet) || !hasOnlyKeys(facet, FACET_KEYS)) return false
  if (facet.$type !== undefined && facet.$type !== 'app.bsky.richtext.facet') return false
  const { index, features } = facet
  return (
    isObject(index) &&
    hasOnlyKeys(index, INDEX_KEYS) &&
    isCount(index.byteStart, 0) &&
    isCount(index.byteEnd, 0) &&
    Array.isArray(features) &&
    features.every(isPlainFeature)
  )
}

function isPlainFeature(feature: unknown): boolean {
  if (!isObject(feature)) return false
  let keys = 0
  for (const _ in feature) keys++
  if (keys !== 2) return false
  switch (feature.$type) {
    case 'app.bsky.richtext.facet#link':
      return typeof feature.uri === 'string' && isValidUri(feature.uri)
    case 'app.bsky.richtext.facet#mention':
      return typeof feature.did === 'string' && isPlcDid(feature.did)
    case 'app.bsky.richtext.facet#tag':
      return typeof feature.tag === 'string' && feature.tag.length <= MAX_PLAIN_TAG_UNITS
    default:
      return false
  }
}

function isPlainEmbed(embed: unknown, allowRecord: boolean): boolean {
  if (!isObject(embed)) return false
  switch (embed.$type) {
    case 'app.bsky.embed.images':
      return (
        hasOnlyKeys(embed, IMAGES_KEYS) &&
        Array.isArray(embed.images) &&
        embed.images.length <= 4 &&
        embed.images.every(isPlainImage)
      )
    case 'app.bsky.embed.external':
      return hasOnlyKeys(embed, EXTERNAL_KEYS) && isPlainExternal(embed.external)
    case 'app.bsky.embed.record':
      return allowRecord && hasOnlyKeys(embed, RECORD_KEYS) && isPlainPostRef(embed.record)
    case 'app.bsky.embed.recordWithMedia': {
      if (!allowRecord || !hasOnlyKeys(embed, RECORD_WITH_MEDIA_KEYS)) return false
      const inner = embed.record
      return (
        isObject(inner) &&
        hasOnlyKeys(inner, RECORD_KEYS) &&
        (inner.$type === undefined || inner.$type === 'app.bsky.embed.record') &&
        isPlainPostRef(inner.record) &&
        isPlainEmbed(embed.media, false)
      )
    }
    default:
      return false
  }
}

function isPlainImage(image: unknown): boolean {
  if (!isObject(image) || !hasOnlyKeys(image, IMAGE_KEYS)) return false
  const ratio = image.aspectRatio
  return (
    typeof image.alt === 'string' &&
    isPlainImageBlob(image.image) &&
    (ratio === undefined ||
      (isObject(ratio) &&
        hasOnlyKeys(ratio, RATIO_KEYS) &&
        isCount(ratio.width, 1) &&
        isCount(ratio.height, 1)))
  )
}

function isPlainExternal(external: unknown): boolean {
  return (
    isObject(external) &&
    hasOnlyKeys(external, EXTERNAL_INNER_KEYS) &&
    typeof external.uri === 'string' &&
    isValidUri(external.uri) &&
    typeof external.title === 'string' &&
    typeof external.description === 'string' &&
    (external.thumb === undefined || isPlainImageBlob(external.thumb))
  )
}

/** `{$type: 'blob', ref: {$link}, mimeType: 'image/…', size}` with a raw-codec CID. */
export function isPlainImageBlob(blob: unknown): boolean {
  if (!isObject(blob) || !hasOnlyKeys(blob, BLOB_KEYS) || blob.$type !== 'blob') return false
  const ref = blob.ref
  if (!isObject(ref)) return false
  let keys = 0
  for (const _ in ref) keys++
  return (
    keys === 1 &&
    typeof ref.$link === 'string' &&
    isRawCid(ref.$link) &&
    typeof blob.mimeType === 'string' &&
    blob.mimeType.startsWith('image/') &&
    isCount(blob.size, 0)
  )
}
