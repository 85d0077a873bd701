import type { JetstreamEvent } from './events.ts'
import { randomPlcDid, randomRecordCid, tid } from './synthetic/identifiers.ts'
import { MALFORMED_REASONS, malformedFrame } from './synthetic/malformed.ts'
import type { MalformedReason } from './synthetic/malformed.ts'
import { Prng, weightedTable } from './synthetic/prng.ts'
import { followRecord, likeRecord, postRecord, profileRecord, repostRecord } from './synthetic/records.ts'
import type { PostShape, StrongRef } from './synthetic/records.ts'
import type { JetstreamRecord } from './events.ts'
import { DagCborEncoder } from './synthetic/dag-cbor.ts'
import { handleFor, pickLanguage } from './synthetic/text.ts'

export { MALFORMED_REASONS, OVERSIZED_RECORD_BYTES } from './synthetic/malformed.ts'
export type { MalformedReason } from './synthetic/malformed.ts'

export interface SyntheticOptions {
  /** Same seed and options, same stream. */
  seed: number
  /** Frames to produce, malformed ones included. */
  count: number
  /** Accounts producing the stream (default 1,000); activity is skewed, a few accounts are very busy. */
  actors?: number
  /** time_us of the first frame (default 2026-01-01T00:00:00Z). Consecutive frames are 1–2,000 µs apart. */
  startTimeUs?: number
  /** After every this many valid events, insert one malformed frame (default 0: never). */
  malformedEvery?: number
}

/** A frame a consumer must reject, carried with its cursor position so it can be replayed in order. */
export interface MalformedFrame {
  kind: 'malformed'
  reason: MalformedReason
  time_us: number
  frame: string
}

export type SyntheticItem = JetstreamEvent | MalformedFrame

export const DEFAULT_START_TIME_US = Date.UTC(2026, 0, 1) * 1000

/** Share of valid events by type, close to the live network's mix. */
const EVENT_MIX = weightedTable({
  like: 58,
  post: 15,
  repost: 10,
  follow: 10,
  delete: 4,
  profile: 1.5,
  identity: 1,
  account: 0.5,
})

/** Which kind of record a delete removes, among those that exist. */
const DELETE_MIX = { like: 50, post: 20, repost: 15, follow: 15 } as const

const EXTERNAL_ACCOUNTS = 500
/** Likes, reposts, replies and quotes mostly target recent posts of the stream; the rest older, unseen ones. */
const STREAM_TARGET_SHARE = 0.7
const RECENT_POSTS_WINDOW = 5_000
/** Dedupe keys pack (actor, subject) into one safe integer. */
const SUBJECT_SPACE = 2 ** 24
const MAX_ACTORS = 2 ** 23
const MAX_INACTIVE_SHARE = 0.02

interface Actor {
  did: string
  handleVersion: number
  active: boolean
  hasProfile: boolean
  clockId: number
}

interface StreamPost {
  ref: StrongRef
  root: StrongRef
  deleted: boolean
}

/** A record that exists, so a later delete can remove it. */
interface LiveRecord {
  actor: number
  rkey: string
  /** Dedupe key of a like/repost/follow, or the post's index for posts; -1 when not tracked. */
  key: number
}

type DeletableCollection = keyof typeof DELETE_MIX

const COLLECTION_NSID: Record<DeletableCollection, string> = {
  like: 'app.bsky.feed.like',
  post: 'app.bsky.feed.post',
  repost: 'app.bsky.feed.repost',
  follow: 'app.bsky.graph.follow',
}

/**
 * A deterministic, realistic Jetstream stream: likes, posts (replies, quotes, images, links, several
 * languages), reposts, follows, deletes of records that exist, profile updates, handle changes and account
 * deactivations/reactivations. Records are valid app.bsky records with their real CIDs. With
 * `malformedEvery`, malformed frames of every kind in {@link MALFORMED_REASONS} are salted in, in turn.
 */
export function* syntheticEvents(options: SyntheticOptions): Generator<SyntheticItem> {
  const stream = new SyntheticStream(options)
  const malformedEvery = options.malformedEvery ?? 0
  let validSinceMalformed = 0
  for (let i = 0; i < options.count; i++) {
    if (malformedEvery > 0 && validSinceMalformed === malformedEvery) {
      validSinceMalformed = 0
      yield stream.nextMalformed()
    } else {
      validSinceMalformed++
      yield stream.nextEvent()
    }
  }
}

class SyntheticStream {
  private readonly prng: Prng
  private readonly cbor = new DagCborEncoder()
  private readonly clock = new IsoClock()
  private readonly actors: Actor[] = []
  private readonly externalDids: string[] = []
  /** Indexes of deactivated actors; they write nothing until reactivated. */
  private readonly inactive: number[] = []
  private readonly posts: StreamPost[] = []
  private readonly live: Record<DeletableCollection, LiveRecord[]> = {
    like: [],
    post: [],
    repost: [],
    follow: [],
  }
  private readonly likeKeys = new Set<number>()
  private readonly repostKeys = new Set<number>()
  private readonly followKeys = new Set<number>()
  private timeUs: number
  private upstreamSeq: number
  private malformedCount = 0

  constructor(options: SyntheticOptions) {
    const actorCount = options.actors ?? 1_000
    if (!Number.isInteger(actorCount) || actorCount < 2 || actorCount > MAX_ACTORS) {
      throw new RangeError(`actors must be an integer in [2, ${MAX_ACTORS}]`)
    }
    this.prng = new Prng(options.seed)
    for (let i = 0; i < actorCount; i++) {
      this.actors.push({
        did: randomPlcDid(this.prng),
        handleVersion: 0,
        active: true,
        hasProfile: false,
        clockId: this.prng.int(1024),
      })
    }
    for (let i = 0; i < EXTERNAL_ACCOUNTS; i++) this.externalDids.push(randomPlcDid(this.prng))
    this.timeUs = (options.startTimeUs ?? DEFAULT_START_TIME_US) - 1
    this.upstreamSeq = 1_000_000 + this.prng.int(1_000_000)
  }

  nextEvent(): JetstreamEvent {
    this.advanceClock()
    switch (this.prng.weighted(EVENT_MIX)) {
      case 'like':
        return this.like()
      case 'post':
        return this.post()
      case 'repost':
        return this.repost()
      case 'follow':
        return this.follow()
      case 'delete':
        return this.delete() ?? this.like()
      case 'profile':
        return this.profile()
      case 'identity':
        return this.identity()
      case 'account':
        return this.account()
    }
  }

  nextMalformed(): MalformedFrame {
    this.advanceClock()
    const reason = MALFORMED_REASONS[this.malformedCount % MALFORMED_REASONS.length]
    const occurrence = Math.floor(this.malformedCount / MALFORMED_REASONS.length)
    this.malformedCount++
    const frame = malformedFrame(reason, {
      prng: this.prng,
      did: this.actors[this.activeActor()].did,
      timeUs: this.timeUs,
      createdAt: this.createdAt(),
      occurrence,
    })
    return { kind: 'malformed', reason, time_us: this.timeUs, frame }
  }

  private like(): JetstreamEvent {
    const actor = this.activeActor()
    const { ref, key } = this.pickSubject(actor, this.likeKeys)
    return this.create(actor, 'like', likeRecord(ref, this.createdAt()), key)
  }

  private repost(): JetstreamEvent {
    const actor = this.activeActor()
    const { ref, key } = this.pickSubject(actor, this.repostKeys)
    return this.create(actor, 'repost', repostRecord(ref, this.createdAt()), key)
  }

  private follow(): JetstreamEvent {
    const actor = this.activeActor()
    let subject = this.prng.chance(0.8) ? this.prng.int(this.actors.length) : -1
    let key = subject >= 0 && subject !== actor ? actor * SUBJECT_SPACE + subject : -1
    if (key >= 0 && this.followKeys.has(key)) key = -1
    let subjectDid: string
    if (key >= 0) {
      this.followKeys.add(key)
      subjectDid = this.actors[subject].did
    } else {
      // An account outside the stream; track it so the same follow is not written twice.
      subject = this.prng.int(EXTERNAL_ACCOUNTS)
      key = actor * SUBJECT_SPACE + MAX_ACTORS + subject
      if (this.followKeys.has(key)) return this.like()
      this.followKeys.add(key)
      subjectDid = this.externalDids[subject]
    }
    return this.create(actor, 'follow', followRecord(subjectDid, this.createdAt()), key)
  }

  private post(): JetstreamEvent {
    const actor = this.activeActor()
    const shape: PostShape = { createdAt: this.createdAt(), lang: pickLanguage(this.prng) }
    if (this.prng.chance(0.2)) {
      const parent = this.pickPost()
      shape.reply = { parent: parent.ref, root: parent.root }
    }
    const embedRoll = this.prng.int(100)
    if (embedRoll < 10) shape.embed = 'images'
    else if (embedRoll < 15) {
      shape.embed = 'quote'
      shape.quoted = this.pickPost().ref
    } else if (embedRoll < 18) shape.embed = 'external'
    else if (embedRoll < 23) shape.withLink = true
    const record = postRecord(this.prng, shape)
    const cid = this.cbor.cid(record)
    const rkey = this.rkey(actor)
    const ref = { cid, uri: `at://${this.actors[actor].did}/app.bsky.feed.post/${rkey}` }
    this.posts.push({ ref, root: shape.reply?.root ?? ref, deleted: false })
    return this.create(actor, 'post', record, this.posts.length - 1, { rkey, cid })
  }

  private delete(): JetstreamEvent | null {
    const weights: Partial<Record<DeletableCollection, number>> = {}
    for (const collection of Object.keys(DELETE_MIX) as DeletableCollection[]) {
      if (this.live[collection].length > 0) weights[collection] = DELETE_MIX[collection]
    }
    if (Object.keys(weights).length === 0) return null
    const collection = this.prng.weighted(weightedTable(weights as Record<DeletableCollection, number>))
    const records = this.live[collection]
    const index = this.prng.int(records.length)
    const target = records[index]
    if (!this.actors[target.actor].active) return null
    records[index] = records[records.length - 1]
    records.pop()
    if (collection === 'like') this.likeKeys.delete(target.key)
    else if (collection === 'repost') this.repostKeys.delete(target.key)
    else if (collection === 'follow') this.followKeys.delete(target.key)
    else this.posts[target.key].deleted = true
    return {
      did: this.actors[target.actor].did,
      time_us: this.timeUs,
      kind: 'commit',
      commit: {
        rev: this.rev(target.actor),
        operation: 'delete',
        collection: COLLECTION_NSID[collection],
        rkey: target.rkey,
      },
    }
  }

  private profile(): JetstreamEvent {
    const actor = this.activeActor()
    const state = this.actors[actor]
    const record = profileRecord(this.prng, this.createdAt())
    const cid = this.cbor.cid(record)
    const operation = state.hasProfile ? 'update' : 'create'
    state.hasProfile = true
    return {
      did: state.did,
      time_us: this.timeUs,
      kind: 'commit',
      commit: {
        rev: this.rev(actor),
        operation,
        collection: 'app.bsky.actor.profile',
        rkey: 'self',
        record,
        cid,
      },
    }
  }

  private identity(): JetstreamEvent {
    const index = this.pickActor()
    const actor = this.actors[index]
    actor.handleVersion++
    const handle = handleFor(this.prng, index, actor.handleVersion)
    return {
      did: actor.did,
      time_us: this.timeUs,
      kind: 'identity',
      identity: { did: actor.did, handle, seq: this.nextUpstreamSeq(), time: this.createdAt(0) },
    }
  }

  /** Deactivates an active account or reactivates one, keeping deactivated accounts a small minority. */
  private account(): JetstreamEvent {
    const reactivate =
      this.inactive.length > 0 &&
      (this.prng.chance(0.5) || this.inactive.length >= this.actors.length * MAX_INACTIVE_SHARE)
    let actor: Actor
    if (reactivate) {
      const slot = this.prng.int(this.inactive.length)
      actor = this.actors[this.inactive[slot]]
      this.inactive[slot] = this.inactive[this.inactive.length - 1]
      this.inactive.pop()
    } else {
      const index = this.activeActor()
      this.inactive.push(index)
      actor = this.actors[index]
    }
    actor.active = reactivate
    const seq = this.nextUpstreamSeq()
    const time = this.createdAt(0)
    return {
      did: actor.did,
      time_us: this.timeUs,
      kind: 'account',
      account: actor.active
        ? { active: true, did: actor.did, seq, time }
        : { active: false, did: actor.did, seq, status: 'deactivated', time },
    }
  }

  private create(
    actor: number,
    collection: DeletableCollection,
    record: JetstreamRecord,
    key: number,
    known?: { rkey: string; cid: string },
  ): JetstreamEvent {
    const rkey = known?.rkey ?? this.rkey(actor)
    const cid = known?.cid ?? this.cbor.cid(record)
    this.live[collection].push({ actor, rkey, key })
    return {
      did: this.actors[actor].did,
      time_us: this.timeUs,
      kind: 'commit',
      commit: {
        rev: this.rev(actor),
        operation: 'create',
        collection: COLLECTION_NSID[collection],
        rkey,
        record,
        cid,
      },
    }
  }

  /** A like/repost subject: a recent stream post this actor has not already liked/reposted, else an unseen one. */
  private pickSubject(actor: number, keys: Set<number>): { ref: StrongRef; key: number } {
    if (this.posts.length > 0 && this.prng.chance(STREAM_TARGET_SHARE)) {
      const index = this.recentPostIndex()
      const key = actor * SUBJECT_SPACE + index
      if (!this.posts[index].deleted && !keys.has(key) && index < SUBJECT_SPACE) {
        keys.add(key)
        return { ref: this.posts[index].ref, key }
      }
    }
    return { ref: this.unseenPost(), key: -1 }
  }

  private pickPost(): StreamPost {
    if (this.posts.length > 0 && this.prng.chance(STREAM_TARGET_SHARE)) {
      const post = this.posts[this.recentPostIndex()]
      if (!post.deleted) return post
    }
    const ref = this.unseenPost()
    return { ref, root: ref, deleted: false }
  }

  /** Biased toward the newest posts, as engagement is. */
  private recentPostIndex(): number {
    const window = Math.min(this.posts.length, RECENT_POSTS_WINDOW)
    const u = this.prng.float()
    return this.posts.length - 1 - Math.floor(window * u * u)
  }

  /** A post written before the stream started, by an account outside it. */
  private unseenPost(): StrongRef {
    const did = this.prng.pick(this.externalDids)
    const writtenAt = this.timeUs - this.prng.range(60_000_000, 30 * 86_400_000_000)
    return {
      cid: randomRecordCid(this.prng),
      uri: `at://${did}/app.bsky.feed.post/${tid(writtenAt, this.prng.int(1024))}`,
    }
  }

  /** Activity is heavily skewed: low indexes post far more than high ones. */
  private pickActor(): number {
    const u = this.prng.float()
    return Math.floor(this.actors.length * u * Math.sqrt(u))
  }

  private activeActor(): number {
    for (;;) {
      const actor = this.pickActor()
      if (this.actors[actor].active) return actor
    }
  }

  private rkey(actor: number): string {
    return tid(this.timeUs, this.actors[actor].clockId)
  }

  private rev(actor: number): string {
    return tid(this.timeUs, this.actors[actor].clockId ^ 1)
  }

  private advanceClock(): void {
    this.timeUs += this.prng.range(1, 2_000)
  }

  /** The client's clock: a little behind the time the event reached the relay. */
  private createdAt(maxSkewMs = 3_000): string {
    return new Date(
      Math.floor(this.timeUs / 1000) - (maxSkewMs > 0 ? this.prng.int(maxSkewMs) : 0),
    ).toISOString()
  }

  private nextUpstreamSeq(): number {
    this.upstreamSeq += this.prng.range(1, 50)
    return this.upstreamSeq
  }
}

/** `Date#toISOString` with the date-and-minute prefix cached: the stream's clock only moves forward slowly. */
class IsoClock {
  private minuteStartMs = Number.NaN
  private prefix = ''

  iso(ms: number): string {
    const offset = ms - this.minuteStartMs
    if (!(offset >= 0 && offset < 60_000)) {
      this.minuteStartMs = ms - (((ms % 60_000) + 60_000) % 60_000)
      this.prefix = new Date(this.minuteStartMs).toISOString().slice(0, 17)
      return this.iso(ms)
    }
    const seconds = Math.floor(offset / 1000)
    const millis = offset % 1000
    return `${this.prefix}${seconds < 10 ? '0' : ''}${seconds}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`
  }
}
