import { sql } from 'kysely'
import type { Db } from '@sundial/common'
import { parseActorsJson, selectActorsForView } from './actors.ts'
import type { ActorRow } from './actors.ts'
import { paginateDesc } from './pagination.ts'
import { prepared } from './prepared.ts'
import type { TimeCidKey } from './pagination.ts'

export interface PostRow {
  uri: string
  cid: string
  authorDid: string
  record: unknown
  replyRoot: string | null
  replyParent: string | null
  embedUri: string | null
  sortAt: Date
  replyCount: number
  repostCount: number
  likeCount: number
  quoteCount: number
  /** The viewer's like and repost of this post, when there is a viewer. */
  viewerLike: string | null
  viewerRepost: string | null
}

export interface GetPostsOptions {
  viewer: string | null
  /** Also fetch the reply root and parent of each requested post (feed items show them). */
  withReplyContext?: boolean
  /** Follow record embeds this many levels: a quote, then a quote inside it. Default 2, as the reference shows. */
  embedDepth?: number
}

export interface PostsWithAccounts {
  posts: PostRow[]
  /** Authors of every post, the accounts replies answered (grandparent authors), and the extra DIDs asked for. */
  actors: ActorRow[]
}

/**
 * Everything post views need, in one round trip: the requested posts, their reply roots and parents (when
 * asked), the posts they embed down to `embedDepth`, each with its counts and the viewer's like and repost,
 * and every account those posts show, with `extraDids` (e.g. reposters). One statement instead of several
 * keeps a page's latency low when the machine is busy: each round trip waits to be scheduled twice.
 */
export async function getPostsWithAccounts(
  db: Db,
  uris: string[],
  extraDids: string[],
  opts: GetPostsOptions,
): Promise<PostsWithAccounts> {
  const { rows } = await sql<{ posts: string; actors: string }>`
    ${prepared}
    with recursive wanted(uri, depth) as (
      select t.uri, 0 from unnest(${uris}::text[]) as t(uri)
      union
      select ctx.uri, 0
      from post p cross join lateral (values (p.reply_parent), (p.reply_root)) as ctx(uri)
      where ${opts.withReplyContext ?? false} and ctx.uri is not null and p.uri = any(${uris}::text[])
    ), embedded(uri, depth) as (
      select uri, depth from wanted
      union
      select p.embed_uri, e.depth + 1
      from embedded e join post p on p.uri = e.uri
      where e.depth < ${opts.embedDepth ?? 2} and p.embed_uri is not null
    ), posts as materialized (
      select p.uri, p.cid, p.author_did as "authorDid", p.record, p.reply_root as "replyRoot",
        p.reply_parent as "replyParent", p.embed_uri as "embedUri", p.sort_at as "sortAt",
        coalesce(a.reply_count, 0) as "replyCount", coalesce(a.repost_count, 0) as "repostCount",
        coalesce(a.like_count, 0) as "likeCount", coalesce(a.quote_count, 0) as "quoteCount",
        vl.uri as "viewerLike", vr.uri as "viewerRepost"
      from (select distinct uri from embedded) e
      join post p on p.uri = e.uri
      left join post_agg a on a.uri = p.uri
      left join lateral (
        select l.uri from "like" l where l.author_did = ${opts.viewer} and l.subject_uri = p.uri limit 1
      ) vl on true
      left join lateral (
        select r.uri from repost r where r.author_did = ${opts.viewer} and r.subject_uri = p.uri limit 1
      ) vr on true
    ), accounts as (
      select "authorDid" as did from posts
      union
      select split_part(substr("replyParent", 6), '/', 1) from posts where "replyParent" is not null
      union
      select unnest(${extraDids}::text[])
    ), actors as (
      ${selectActorsForView(sql`accounts`, opts.viewer)}
    )
    -- Both lists as JSON text: parsed here, so records keep their keys exactly.
    select (select coalesce(json_agg(posts), '[]') from posts)::text as posts,
      (select coalesce(json_agg(actors), '[]') from actors)::text as actors
  `.execute(db)
  const posts = (JSON.parse(rows[0].posts) as (Omit<PostRow, 'sortAt'> & { sortAt: string })[]).map(
    (post) => ({
      ...post,
      sortAt: new Date(post.sortAt),
    }),
  )
  const actors = parseActorsJson(rows[0].actors)
  return { posts, actors }
}

/** A post's ancestors up to `parentHeight` levels, nearest first, following reply_parent. */
export async function getAncestorUris(db: Db, uri: string, parentHeight: number): Promise<string[]> {
  if (parentHeight < 1) return []
  const { rows } = await sql<{ uri: string }>`
    with recursive ancestor(uri, parent, height) as (
      select p.uri, p.reply_parent, 0 from post p where p.uri = ${uri}
      union all
      select p.uri, p.reply_parent, a.height + 1
      from ancestor a join post p on p.uri = a.parent
      where a.height < ${parentHeight}
    )
    select uri from ancestor where height > 0 order by height
  `.execute(db)
  return rows.map((r) => r.uri)
}

/** Replies below a post down to `depth` levels, newest first (the reference's order). */
export async function getDescendantUris(db: Db, uri: string, depth: number): Promise<string[]> {
  if (depth < 1) return []
  const { rows } = await sql<{ uri: string }>`
    with recursive descendant(uri, depth) as (
      select p.uri, 1 from post p where p.reply_parent = ${uri}
      union all
      select p.uri, d.depth + 1
      from descendant d join post p on p.reply_parent = d.uri
      where d.depth < ${depth}
    )
    select d.uri from descendant d join post p on p.uri = d.uri order by p.sort_at desc, p.cid desc
  `.execute(db)
  return rows.map((r) => r.uri)
}

/** Reposts of a post, newest first. */
export async function getRepostsBySubject(
  db: Db,
  subjectUri: string,
  key: TimeCidKey | undefined,
  limit: number,
): Promise<{ uri: string; authorDid: string; time: Date; cid: string }[]> {
  const qb = db
    .selectFrom('repost as r')
    .select(['r.uri', 'r.authorDid', 'r.sortAt as time', 'r.cid'])
    .where('r.subjectUri', '=', subjectUri)
  return paginateDesc(qb, { time: 'r.sortAt', cid: 'r.cid' }, key, limit).execute()
}

/** Likes of a post, newest first by the like's createdAt (the like index's order). */
export async function getLikesBySubject(
  db: Db,
  subjectUri: string,
  key: TimeCidKey | undefined,
  limit: number,
): Promise<{ uri: string; authorDid: string; createdAt: Date; indexedAt: Date; time: Date; cid: string }[]> {
  const qb = db
    .selectFrom('like as l')
    .select(['l.uri', 'l.authorDid', 'l.createdAt', 'l.indexedAt', 'l.createdAt as time', 'l.cid'])
    .where('l.subjectUri', '=', subjectUri)
  return paginateDesc(qb, { time: 'l.createdAt', cid: 'l.cid' }, key, limit).execute()
}
