// Writes index rows directly, the way the firehose does (records, feed items, aggregates, timeline fan-out), so
// AppView tests can run without Jetstream.
import { cidForLex } from '@atproto/lex-cbor'
import type { LexValue } from '@atproto/lex-cbor'
import {
  applyFollow,
  applyUnfollow,
  fanOutFeedItems,
  holdFanOutLock,
  removeFromTimelines,
} from '@sundial/common'
import type { Db, DbTx } from '@sundial/common'
import { sql } from 'kysely'

export interface Ref {
  uri: string
  cid: string
}

export interface PostOptions {
  text?: string
  createdAt?: Date
  /** When the network saw it; default now. sortAt = min(createdAt, indexedAt). */
  indexedAt?: Date
  reply?: { root: Ref; parent: Ref }
  embed?: Record<string, unknown>
  langs?: string[]
  labels?: string[]
  /** Extra record fields, stored as they are. */
  extra?: Record<string, unknown>
}

let counter = 0
/** A TID-shaped record key, unique within the process. */
function nextRkey(): string {
  counter += 1
  const n = BigInt(Date.now()) * 1000n + BigInt(counter % 1000)
  return n.toString(32).padStart(13, '2')
}

export async function cidFor(value: unknown): Promise<string> {
  return (await cidForLex(value as LexValue)).toString()
}

export class Seeder {
  constructor(readonly db: Db) {}

  async actor(
    did: string,
    handle: string | null,
    opts: { status?: string; rev?: string; pds?: string } = {},
  ) {
    await this.db
      .insertInto('actor')
      .values({
        did,
        handle,
        status: opts.status ?? 'active',
        active: (opts.status ?? 'active') === 'active',
        rev: opts.rev ?? null,
        pdsEndpoint: opts.pds ?? null,
      })
      .onConflict((oc) =>
        oc.column('did').doUpdateSet({
          handle,
          status: opts.status ?? 'active',
          active: (opts.status ?? 'active') === 'active',
          rev: opts.rev ?? null,
          pdsEndpoint: opts.pds ?? null,
        }),
      )
      .execute()
  }

  async profile(
    did: string,
    opts: { displayName?: string; description?: string; avatarCid?: string; bannerCid?: string } = {},
  ): Promise<Ref> {
    const blob = (cid: string) => ({ $type: 'blob', ref: { $link: cid }, mimeType: 'image/jpeg', size: 1000 })
    const record = {
      $type: 'app.bsky.actor.profile',
      displayName: opts.displayName,
      description: opts.description,
      avatar: opts.avatarCid ? blob(opts.avatarCid) : undefined,
      banner: opts.bannerCid ? blob(opts.bannerCid) : undefined,
      createdAt: new Date().toISOString(),
    }
    const clean = JSON.parse(JSON.stringify(record))
    const uri = `at://${did}/app.bsky.actor.profile/self`
    const cid = await cidFor({ ...clean, avatar: undefined, banner: undefined })
    await this.db
      .insertInto('profile')
      .values({
        did,
        uri,
        cid,
        displayName: opts.displayName ?? null,
        description: opts.description ?? null,
        avatarCid: opts.avatarCid ?? null,
        bannerCid: opts.bannerCid ?? null,
        record: JSON.stringify(clean),
        createdAt: new Date(),
      })
      .onConflict((oc) =>
        oc.column('did').doUpdateSet({
          cid,
          displayName: opts.displayName ?? null,
          description: opts.description ?? null,
          avatarCid: opts.avatarCid ?? null,
          bannerCid: opts.bannerCid ?? null,
          record: JSON.stringify(clean),
        }),
      )
      .execute()
    return { uri, cid }
  }

  async post(did: string, opts: PostOptions = {}): Promise<Ref> {
    const createdAt = opts.createdAt ?? new Date()
    const indexedAt = opts.indexedAt ?? new Date()
    const sortAt = createdAt < indexedAt ? createdAt : indexedAt
    const record: Record<string, unknown> = {
      $type: 'app.bsky.feed.post',
      text: opts.text ?? 'hello',
      createdAt: createdAt.toISOString(),
    }
    if (opts.reply) record.reply = { root: strongRef(opts.reply.root), parent: strongRef(opts.reply.parent) }
    if (opts.embed) record.embed = opts.embed
    if (opts.langs) record.langs = opts.langs
    if (opts.extra) Object.assign(record, opts.extra)
    if (opts.labels) {
      record.labels = {
        $type: 'com.atproto.label.defs#selfLabels',
        values: opts.labels.map((val) => ({ val })),
      }
    }
    const rkey = nextRkey()
    const uri = `at://${did}/app.bsky.feed.post/${rkey}`
    const cid = await cidFor({ ...record, rkey, did })
    const embedType = typeof opts.embed?.$type === 'string' ? opts.embed.$type : null
    const embedUri = quotedUri(opts.embed)
    await this.db.transaction().execute(async (tx) => {
      await holdFanOutLock(tx)
      await tx
        .insertInto('post')
        .values({
          uri,
          cid,
          authorDid: did,
          rkey,
          text: String(record.text),
          record: JSON.stringify(record),
          replyRoot: opts.reply?.root.uri ?? null,
          replyRootCid: opts.reply?.root.cid ?? null,
          replyParent: opts.reply?.parent.uri ?? null,
          replyParentCid: opts.reply?.parent.cid ?? null,
          embedType,
          embedUri,
          langs: opts.langs ?? null,
          createdAt,
          indexedAt,
          sortAt,
          rev: null,
        })
        .execute()
      await tx
        .insertInto('feedItem')
        .values({ uri, cid, type: 'post', postUri: uri, originatorDid: did, sortAt })
        .execute()
      await bumpPostAgg(tx, uri, {})
      if (opts.reply) await bumpPostAgg(tx, opts.reply.parent.uri, { replyCount: 1 })
      if (embedUri) await bumpPostAgg(tx, embedUri, { quoteCount: 1 })
      await bumpActorAgg(tx, did, { postsCount: 1 })
      await fanOutFeedItems(tx, [uri])
    })
    return { uri, cid }
  }

  async repost(did: string, subject: Ref, opts: { createdAt?: Date; indexedAt?: Date } = {}): Promise<Ref> {
    const createdAt = opts.createdAt ?? new Date()
    const indexedAt = opts.indexedAt ?? new Date()
    const sortAt = createdAt < indexedAt ? createdAt : indexedAt
    const rkey = nextRkey()
    const uri = `at://${did}/app.bsky.feed.repost/${rkey}`
    const cid = await cidFor({ subject, createdAt: createdAt.toISOString(), rkey })
    await this.db.transaction().execute(async (tx) => {
      await holdFanOutLock(tx)
      await tx
        .insertInto('repost')
        .values({
          uri,
          cid,
          authorDid: did,
          subjectUri: subject.uri,
          subjectCid: subject.cid,
          createdAt,
          indexedAt,
          sortAt,
          rev: null,
        })
        .execute()
      await tx
        .insertInto('feedItem')
        .values({ uri, cid, type: 'repost', postUri: subject.uri, originatorDid: did, sortAt })
        .execute()
      await bumpPostAgg(tx, subject.uri, { repostCount: 1 })
      await fanOutFeedItems(tx, [uri])
    })
    return { uri, cid }
  }

  async like(did: string, subject: Ref, opts: { createdAt?: Date; indexedAt?: Date } = {}): Promise<Ref> {
    const createdAt = opts.createdAt ?? new Date()
    const rkey = nextRkey()
    const uri = `at://${did}/app.bsky.feed.like/${rkey}`
    const cid = await cidFor({ subject, createdAt: createdAt.toISOString(), rkey })
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('like')
        .values({
          uri,
          cid,
          authorDid: did,
          subjectUri: subject.uri,
          subjectCid: subject.cid,
          createdAt,
          indexedAt: opts.indexedAt,
          rev: null,
        })
        .execute()
      await bumpPostAgg(tx, subject.uri, { likeCount: 1 })
    })
    return { uri, cid }
  }

  async follow(did: string, subjectDid: string, opts: { createdAt?: Date } = {}): Promise<Ref> {
    const createdAt = opts.createdAt ?? new Date()
    const rkey = nextRkey()
    const uri = `at://${did}/app.bsky.graph.follow/${rkey}`
    const cid = await cidFor({ subjectDid, createdAt: createdAt.toISOString(), rkey })
    await this.db.transaction().execute(async (tx) => {
      await holdFanOutLock(tx)
      await tx
        .insertInto('follow')
        .values({ uri, cid, authorDid: did, subjectDid, createdAt, rev: null })
        .execute()
      await bumpActorAgg(tx, did, { followsCount: 1 })
      await bumpActorAgg(tx, subjectDid, { followersCount: 1 })
      await applyFollow(tx, did, subjectDid)
    })
    return { uri, cid }
  }

  async unfollow(uri: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await holdFanOutLock(tx)
      const row = await tx.deleteFrom('follow').where('uri', '=', uri).returningAll().executeTakeFirst()
      if (!row) return
      await bumpActorAgg(tx, row.authorDid, { followsCount: -1 })
      await bumpActorAgg(tx, row.subjectDid, { followersCount: -1 })
      await applyUnfollow(tx, row.authorDid, row.subjectDid)
    })
  }

  /** Deletes a post or repost: the row, its feed item, timeline copies, and a tombstone. */
  async deleteRecord(uri: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await holdFanOutLock(tx)
      const post = await tx.deleteFrom('post').where('uri', '=', uri).returningAll().executeTakeFirst()
      const repost = await tx.deleteFrom('repost').where('uri', '=', uri).returningAll().executeTakeFirst()
      await tx.deleteFrom('feedItem').where('uri', '=', uri).execute()
      if (post) {
        await bumpActorAgg(tx, post.authorDid, { postsCount: -1 })
        if (post.replyParent) await bumpPostAgg(tx, post.replyParent, { replyCount: -1 })
        if (post.embedUri) await bumpPostAgg(tx, post.embedUri, { quoteCount: -1 })
        await tx.deleteFrom('postAgg').where('uri', '=', uri).execute()
      }
      if (repost) await bumpPostAgg(tx, repost.subjectUri, { repostCount: -1 })
      await removeFromTimelines(tx, [uri])
      const did = uri.slice(5).split('/')[0]
      await tx
        .insertInto('tombstone')
        .values({ uri, did, collection: uri.split('/')[3], rev: null })
        .onConflict((oc) => oc.column('uri').doNothing())
        .execute()
    })
  }
}

function strongRef(ref: Ref): Ref {
  return { uri: ref.uri, cid: ref.cid }
}

function quotedUri(embed: Record<string, unknown> | undefined): string | null {
  if (!embed) return null
  const record = embed.record as { uri?: string; record?: { uri?: string } } | undefined
  if (embed.$type === 'app.bsky.embed.record') return record?.uri ?? null
  if (embed.$type === 'app.bsky.embed.recordWithMedia') return record?.record?.uri ?? null
  return null
}

type PostAggDelta = Partial<Record<'replyCount' | 'repostCount' | 'likeCount' | 'quoteCount', number>>
type ActorAggDelta = Partial<Record<'followersCount' | 'followsCount' | 'postsCount', number>>

async function bumpPostAgg(tx: DbTx, uri: string, delta: PostAggDelta): Promise<void> {
  await sql`
    insert into post_agg (uri, reply_count, repost_count, like_count, quote_count)
    values (${uri}, ${delta.replyCount ?? 0}, ${delta.repostCount ?? 0}, ${delta.likeCount ?? 0}, ${delta.quoteCount ?? 0})
    on conflict (uri) do update set
      reply_count = post_agg.reply_count + excluded.reply_count,
      repost_count = post_agg.repost_count + excluded.repost_count,
      like_count = post_agg.like_count + excluded.like_count,
      quote_count = post_agg.quote_count + excluded.quote_count
  `.execute(tx)
}

async function bumpActorAgg(tx: DbTx, did: string, delta: ActorAggDelta): Promise<void> {
  await sql`
    insert into actor_agg (did, followers_count, follows_count, posts_count)
    values (${did}, ${delta.followersCount ?? 0}, ${delta.followsCount ?? 0}, ${delta.postsCount ?? 0})
    on conflict (did) do update set
      followers_count = actor_agg.followers_count + excluded.followers_count,
      follows_count = actor_agg.follows_count + excluded.follows_count,
      posts_count = actor_agg.posts_count + excluded.posts_count
  `.execute(tx)
}
