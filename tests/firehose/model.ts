import type { JetstreamEvent, SyntheticItem } from '@sundial/jetstream-server'
import { actorKey, aggKey, feedItemKey, postKey, profileKey, subjectKey } from './state.ts'
import type { IndexedState } from './state.ts'

// The expected index after a stream, computed the simplest way: apply every valid event in order to in-memory
// tables, then count the aggregates from the rows that remain. Nothing here shares code with the firehose.

interface Row {
  did: string
  timeUs: number
  cid: string
  record: Record<string, unknown>
}

export interface ExpectedStream {
  state: IndexedState
  /** time_us of the first and last frames, valid or not. */
  firstTimeUs: number
  lastTimeUs: number
  validEvents: number
  malformed: Map<string, number>
}

export function expectedState(items: Iterable<SyntheticItem>): ExpectedStream {
  const tables = {
    'app.bsky.feed.post': new Map<string, Row>(),
    'app.bsky.feed.like': new Map<string, Row>(),
    'app.bsky.feed.repost': new Map<string, Row>(),
    'app.bsky.graph.follow': new Map<string, Row>(),
    'app.bsky.actor.profile': new Map<string, Row>(),
  }
  const tombstones = new Map<string, { collection: string; rev: string }>()
  const actors = new Map<string, { handle: string | null; status: string; active: boolean }>()
  const actor = (did: string) => {
    let a = actors.get(did)
    if (!a) {
      a = { handle: null, status: 'active', active: true }
      actors.set(did, a)
    }
    return a
  }
  const malformed = new Map<string, number>()
  let firstTimeUs = 0
  let lastTimeUs = 0
  let validEvents = 0

  for (const item of items) {
    if (firstTimeUs === 0) firstTimeUs = item.time_us
    lastTimeUs = item.time_us
    if (item.kind === 'malformed') {
      malformed.set(item.reason, (malformed.get(item.reason) ?? 0) + 1)
      continue
    }
    validEvents++
    apply(item)
  }

  function apply(ev: JetstreamEvent): void {
    if (ev.kind === 'identity') {
      actor(ev.did).handle = ev.identity.handle?.toLowerCase() ?? null
      return
    }
    if (ev.kind === 'account') {
      const a = actor(ev.did)
      a.active = ev.account.active
      a.status = ev.account.active ? 'active' : (ev.account.status ?? 'deactivated')
      return
    }
    const { commit } = ev
    const table = tables[commit.collection as keyof typeof tables]
    if (!table) return
    const uri = `at://${ev.did}/${commit.collection}/${commit.rkey}`
    if (commit.operation === 'delete') {
      table.delete(uri)
      const prior = tombstones.get(uri)
      if (!prior || prior.rev < commit.rev)
        tombstones.set(uri, { collection: commit.collection, rev: commit.rev })
      return
    }
    const tomb = tombstones.get(uri)
    if (tomb && tomb.rev >= commit.rev) return
    tombstones.delete(uri)
    actor(ev.did)
    table.set(uri, { did: ev.did, timeUs: ev.time_us, cid: commit.cid, record: commit.record })
  }

  const ms = (s: string) => Date.parse(s)
  const iso = (s: string) => new Date(s).toISOString()
  const sortAtUs = (createdAt: string, timeUs: number) => String(Math.min(ms(createdAt) * 1000, timeUs))
  const state: IndexedState = {
    posts: new Map(),
    likes: new Map(),
    reposts: new Map(),
    follows: new Map(),
    profiles: new Map(),
    tombstones: new Map([...tombstones].map(([uri, t]) => [uri, `${t.collection} ${t.rev}`])),
    postAgg: new Map(),
    actorAgg: new Map(),
    actors: new Map([...actors].map(([did, a]) => [did, actorKey(a)])),
    feedItems: new Map(),
  }
  const postAgg = new Map<string, number[]>()
  const actorAgg = new Map<string, number[]>()
  const bumpPost = (uri: string, index: number) => {
    const counts = postAgg.get(uri) ?? [0, 0, 0, 0]
    counts[index]++
    postAgg.set(uri, counts)
  }
  const bumpActor = (did: string, index: number) => {
    const counts = actorAgg.get(did) ?? [0, 0, 0]
    counts[index]++
    actorAgg.set(did, counts)
  }

  for (const [uri, row] of tables['app.bsky.feed.post']) {
    const r = row.record as {
      text: string
      createdAt: string
      langs?: string[]
      reply?: { root: { uri: string }; parent: { uri: string } }
      embed?: { $type: string; record?: { uri?: string; record?: { uri: string } } }
    }
    const embedUri =
      r.embed?.$type === 'app.bsky.embed.record'
        ? (r.embed.record?.uri ?? null)
        : r.embed?.$type === 'app.bsky.embed.recordWithMedia'
          ? (r.embed.record?.record?.uri ?? null)
          : null
    const sortAt = sortAtUs(r.createdAt, row.timeUs)
    state.posts.set(
      uri,
      postKey({
        cid: row.cid,
        authorDid: row.did,
        text: r.text,
        replyRoot: r.reply?.root.uri ?? null,
        replyParent: r.reply?.parent.uri ?? null,
        embedUri,
        langs: r.langs?.length ? r.langs : null,
        createdAt: iso(r.createdAt),
        sortAtUs: sortAt,
        record: row.record,
      }),
    )
    state.feedItems.set(
      uri,
      feedItemKey({ type: 'post', postUri: uri, originatorDid: row.did, sortAtUs: sortAt }),
    )
    bumpActor(row.did, 2)
    if (r.reply) bumpPost(r.reply.parent.uri, 0)
    if (embedUri && embedUri.split('/')[3] === 'app.bsky.feed.post') bumpPost(embedUri, 3)
  }
  for (const [uri, row] of tables['app.bsky.feed.repost']) {
    const r = row.record as { subject: { uri: string }; createdAt: string }
    state.reposts.set(
      uri,
      subjectKey({ cid: row.cid, authorDid: row.did, subject: r.subject.uri, createdAt: iso(r.createdAt) }),
    )
    state.feedItems.set(
      uri,
      feedItemKey({
        type: 'repost',
        postUri: r.subject.uri,
        originatorDid: row.did,
        sortAtUs: sortAtUs(r.createdAt, row.timeUs),
      }),
    )
    bumpPost(r.subject.uri, 1)
  }
  for (const [uri, row] of tables['app.bsky.feed.like']) {
    const r = row.record as { subject: { uri: string }; createdAt: string }
    state.likes.set(
      uri,
      subjectKey({ cid: row.cid, authorDid: row.did, subject: r.subject.uri, createdAt: iso(r.createdAt) }),
    )
    bumpPost(r.subject.uri, 2)
  }
  for (const [uri, row] of tables['app.bsky.graph.follow']) {
    const r = row.record as { subject: string; createdAt: string }
    state.follows.set(
      uri,
      subjectKey({ cid: row.cid, authorDid: row.did, subject: r.subject, createdAt: iso(r.createdAt) }),
    )
    bumpActor(row.did, 1)
    bumpActor(r.subject, 0)
  }
  for (const [uri, row] of tables['app.bsky.actor.profile']) {
    const r = row.record as { displayName?: string }
    state.profiles.set(
      row.did,
      profileKey({ uri, cid: row.cid, displayName: r.displayName ?? null, record: row.record }),
    )
  }
  for (const [uri, counts] of postAgg) state.postAgg.set(uri, aggKey(...counts))
  for (const [did, counts] of actorAgg) state.actorAgg.set(did, aggKey(...counts))
  return { state, firstTimeUs, lastTimeUs, validEvents, malformed }
}
