import { isPlainUtcDatetime } from '../ingest/formats.ts'
import { hasOnlyKeys, isObject, isPlainImageBlob } from './post-shape.ts'

// The usual profile (names, description, pictures, createdAt), checked strictly enough that the
// app.bsky.actor.profile lexicon certainly accepts it; anything else gets the full check (profile-shape.test.ts).

const PROFILE_KEYS = new Set(['$type', 'displayName', 'description', 'avatar', 'banner', 'createdAt'])

/** Code-unit bounds that imply the lexicon's grapheme and UTF-8 byte limits (64/640 and 256/2560). */
const MAX_PLAIN_NAME_UNITS = 64
const MAX_PLAIN_DESCRIPTION_UNITS = 256

export function isPlainProfile(record: unknown): boolean {
  if (!isObject(record) || !hasOnlyKeys(record, PROFILE_KEYS)) return false
  const { displayName, description, avatar, banner, createdAt } = record
  return (
    record.$type === 'app.bsky.actor.profile' &&
    (displayName === undefined ||
      (typeof displayName === 'string' && displayName.length <= MAX_PLAIN_NAME_UNITS)) &&
    (description === undefined ||
      (typeof description === 'string' && description.length <= MAX_PLAIN_DESCRIPTION_UNITS)) &&
    (avatar === undefined || isPlainImageBlob(avatar)) &&
    (banner === undefined || isPlainImageBlob(banner)) &&
    (createdAt === undefined || (typeof createdAt === 'string' && isPlainUtcDatetime(createdAt)))
  )
}
