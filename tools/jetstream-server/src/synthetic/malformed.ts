import type { Prng } from './prng.ts'
import { randomRecordCid, tid } from './identifiers.ts'

/** The ways a salted stream breaks a frame; each makes a consumer reject the frame for a distinct reason. */
export const MALFORMED_REASONS = [
  'invalid-json',
  'bad-did',
  'bad-nsid',
  'invalid-record',
  'null-character',
  'oversized',
] as const

export type MalformedReason = (typeof MALFORMED_REASONS)[number]

/** Frames above this size are "oversized": a record bigger than any PDS accepts. */
export const OVERSIZED_RECORD_BYTES = 1_100_000

export interface MalformedContext {
  prng: Prng
  /** A valid DID from the stream, so only the intended defect makes the frame invalid. */
  did: string
  timeUs: number
  createdAt: string
  /** How many malformed frames of this reason came before; varies the defect. */
  occurrence: number
}

export function malformedFrame(reason: MalformedReason, context: MalformedContext): string {
  const { prng, did, timeUs, createdAt, occurrence } = context
  const rev = tid(timeUs, 1)
  const rkey = tid(timeUs, 2)
  const commit = (collection: string, record: Record<string, unknown>, eventDid = did) =>
    JSON.stringify({
      did: eventDid,
      time_us: timeUs,
      kind: 'commit',
      commit: { rev, operation: 'create', collection, rkey, record, cid: randomRecordCid(prng) },
    })
  switch (reason) {
    case 'invalid-json': {
      const complete = commit('app.bsky.feed.post', {
        $type: 'app.bsky.feed.post',
        createdAt,
        text: 'cut off',
      })
      return complete.slice(0, Math.max(10, Math.floor(complete.length * (0.3 + 0.4 * prng.float()))))
    }
    case 'bad-did':
      return commit('app.bsky.feed.post', post(createdAt, 'bad did'), `did:plc:Not_A-Valid!DID${occurrence}`)
    case 'bad-nsid':
      return commit(occurrence % 2 === 0 ? 'app.bsky..feed.post' : 'not an nsid', post(createdAt, 'bad nsid'))
    case 'invalid-record':
      return occurrence % 2 === 0
        ? commit('app.bsky.feed.post', { $type: 'app.bsky.feed.post', createdAt, text: 12345 })
        : commit('app.bsky.feed.post', { $type: 'app.bsky.feed.post', text: 'no createdAt' })
    case 'null-character':
      return commit('app.bsky.feed.post', post(createdAt, `nul\u0000inside`))
    case 'oversized':
      return commit('app.bsky.feed.post', post(createdAt, 'x'.repeat(OVERSIZED_RECORD_BYTES)))
  }
}

function post(createdAt: string, text: string): Record<string, unknown> {
  return { $type: 'app.bsky.feed.post', createdAt, text }
}
