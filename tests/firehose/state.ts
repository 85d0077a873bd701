import { sql } from 'kysely'
import type { Db } from '@sundial/common'

/**
 * What the firehose leaves in Postgres, flattened to comparable strings: every indexed row, the aggregates, the
 * tombstones and the actors. The same shape is computed from an event list by `model.ts`.
 */
export interface IndexedState {
  posts: Map<string, string>
  likes: Map<string, string>
  reposts: Map<string, string>
  follows: Map<string, string>
  profiles: Map<string, string>
  tombstones: Map<string, string>
  postAgg: Map<string, string>
  actorAgg: Map<string, string>
  actors: Map<string, string>
  feedItems: Map<string, string>
}

/** JSON with object keys sorted (jsonb does not keep key order). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  )
}

export function postKey(p: {
  cid: string
  authorDid: string
  text: string
  replyRoot: string | null
  replyParent: string | null
  embedUri: string | null
  langs: string[] | null
  createdAt: string
  sortAtUs: string
  record: unknown
}): string {
  return [
    p.cid,
    p.authorDid,
    p.text,
    p.replyRoot,
    p.replyParent,
    p.embedUri,
    (p.langs ?? []).join(','),
    p.createdAt,
    p.sortAtUs,
    canonicalJson(p.record),
  ].join(' | ')
}

export function subjectKey(r: {
  cid: string
  authorDid: string
  subject: string
  createdAt: string
}): string {
  return [r.cid, r.authorDid, r.subject, r.createdAt].join(' | ')
}

export function profileKey(p: {
  uri: string
  cid: string
  displayName: string | null
  record: unknown
}): string {
  return [p.uri, p.cid, p.displayName, canonicalJson(p.record)].join(' | ')
}

export function aggKey(...counts: number[]): string {
  return counts.join(',')
}

export function actorKey(a: { handle: string | null; status: string; active: boolean }): string {
  return [a.handle, a.status, a.active].join(' | ')
}

export function feedItemKey(f: {
  type: string
  postUri: string
  originatorDid: string
  sortAtUs: string
}): string {
  return [f.type, f.postUri, f.originatorDid, f.sortAtUs].join(' | ')
}

const iso = (d: Date) => d.toISOString()

export async function readIndexedState(db: Db): Promise<IndexedState> {
  const posts = await sql<{
    uri: string
    cid: string
    authorDid: string
    text: string
    replyRoot: string | null
    replyParent: string | null
    embedUri: string | null
    langs: string[] | null
    createdAt: Date
    sortAtUs: string
    record: unknown
  }>`
    select uri, cid, author_did, text, reply_root, reply_parent, embed_uri, langs, created_at,
      (extract(epoch from sort_at) * 1000000)::bigint::text as sort_at_us, record
    from post
  `.execute(db)
  const subjects = (table: 'like' | 'repost') =>
    sql<{ uri: string; cid: string; authorDid: string; subject: string; createdAt: Date }>`
      select uri, cid, author_did, subject_uri as subject, created_at from ${sql.table(table)}
    `.execute(db)
  const follows = await sql<{
    uri: string
    cid: string
    authorDid: string
    subject: string
    createdAt: Date
  }>`
    select uri, cid, author_did, subject_did as subject, created_at from follow
  `.execute(db)
  const profiles = await db
    .selectFrom('profile')
    .select(['did', 'uri', 'cid', 'displayName', 'record'])
    .execute()
  const tombstones = await db.selectFrom('tombstone').select(['uri', 'collection', 'rev']).execute()
  const postAgg = await db.selectFrom('postAgg').selectAll().execute()
  const actorAgg = await db.selectFrom('actorAgg').selectAll().execute()
  const actors = await db.selectFrom('actor').select(['did', 'handle', 'status', 'active']).execute()
  const feedItems = await sql<{
    uri: string
    type: string
    postUri: string
    originatorDid: string
    sortAtUs: string
  }>`
    select uri, type, post_uri, originator_did, (extract(epoch from sort_at) * 1000000)::bigint::text as sort_at_us
    from feed_item
  `.execute(db)
  return {
    posts: new Map(posts.rows.map((p) => [p.uri, postKey({ ...p, createdAt: iso(p.createdAt) })])),
    likes: new Map(
      (await subjects('like')).rows.map((r) => [r.uri, subjectKey({ ...r, createdAt: iso(r.createdAt) })]),
    ),
    reposts: new Map(
      (await subjects('repost')).rows.map((r) => [r.uri, subjectKey({ ...r, createdAt: iso(r.createdAt) })]),
    ),
    follows: new Map(follows.rows.map((r) => [r.uri, subjectKey({ ...r, createdAt: iso(r.createdAt) })])),
    profiles: new Map(profiles.map((p) => [p.did, profileKey(p)])),
    tombstones: new Map(tombstones.map((t) => [t.uri, `${t.collection} ${t.rev}`])),
    postAgg: new Map(
      postAgg
        .filter((a) => a.replyCount || a.repostCount || a.likeCount || a.quoteCount)
        .map((a) => [a.uri, aggKey(a.replyCount, a.repostCount, a.likeCount, a.quoteCount)]),
    ),
    actorAgg: new Map(
      actorAgg
        .filter((a) => a.followersCount || a.followsCount || a.postsCount)
        .map((a) => [a.did, aggKey(a.followersCount, a.followsCount, a.postsCount)]),
    ),
    actors: new Map(actors.map((a) => [a.did, actorKey(a)])),
    feedItems: new Map(feedItems.rows.map((f) => [f.uri, feedItemKey(f)])),
  }
}

/** Differences between two states, at most `limit` per table, as readable lines; empty when equal. */
export function diffStates(actual: IndexedState, expected: IndexedState, limit = 5): string[] {
  const out: string[] = []
  for (const table of Object.keys(expected) as Array<keyof IndexedState>) {
    const a = actual[table]
    const e = expected[table]
    const lines: string[] = []
    for (const [key, value] of e) {
      if (!a.has(key)) lines.push(`${table}: missing ${key} = ${value}`)
      else if (a.get(key) !== value)
        lines.push(`${table}: ${key}\n   got      ${a.get(key)}\n   expected ${value}`)
    }
    for (const [key, value] of a) if (!e.has(key)) lines.push(`${table}: unexpected ${key} = ${value}`)
    if (lines.length > 0)
      out.push(`${table}: ${lines.length} differences (rows: got ${a.size}, expected ${e.size})`)
    out.push(...lines.slice(0, limit))
  }
  return out
}
