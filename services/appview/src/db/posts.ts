import { sql } from 'kysely'
import { hashedEquals, hashedIn } from '@sundial/common'
import type { Db } from '@sundial/common'
import { parseBasicActorsJson } from './actors.ts'
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
  /**
   * Authors of every post, the accounts replies answered (grandparent authors), and the extra DIDs asked for,
   * with what a basic profile view shows (no description, banner or counts; the profile record reduced to its
   * self-labels).
   */
  actors: ActorRow[]
}

/** Level-0 post columns, in this order, of the `l0` relation a hydration statement starts from. */
export const LEVEL0_COLUMNS = sql.raw(
  'uri, cid, author_did, record, reply_root, reply_parent, embed_uri, sort_at',
)

/**
 * The common tail of a post hydration statement. Expects CTEs `l0` (the posts asked for, LEVEL0_COLUMNS, one row
 * per uri) and `extra(did)` (accounts shown beside them, e.g. reposters) before it; adds the reply roots and
 * parents of `l0` (when asked), the posts they embed down to `embedDepth`, counts, the viewer's like and repost
 * of each, and every account shown. Set-based: each table is read once with `= any(array)` (one index scan per
 * table, not one nested probe per row), and each account once however many posts it wrote. Ends with the two
 * output columns `posts` and `actors`, JSON arrays of arrays (see parsePostsJson and parseBasicActorsJson).
 */
export function postHydrationTail(opts: GetPostsOptions) {
  const viewer = sql`${opts.viewer}::text`
  const embedDepth = sql`${opts.embedDepth ?? 2}::int`
  return sql`
    ctx as (
      select r.uri, min(r.depth) as depth
      from l0 cross join lateral (values (l0.reply_parent, 0), (l0.reply_root, 0), (l0.embed_uri, 1)) as r(uri, depth)
      where r.uri is not null and (r.depth > 0 or ${opts.withReplyContext ?? false}::bool) and r.depth <= ${embedDepth}
        and not exists (select 1 from l0 x where x.uri = r.uri)
      group by r.uri
    ), more(uri, depth, cid, author_did, record, reply_root, reply_parent, embed_uri, sort_at) as (
      select p.uri, c.depth, p.cid, p.author_did, p.record, p.reply_root, p.reply_parent, p.embed_uri, p.sort_at
      from post p join ctx c on c.uri = p.uri
      where p.uri = any(array(select uri from ctx))
      union all
      select p.uri, m.depth + 1, p.cid, p.author_did, p.record, p.reply_root, p.reply_parent, p.embed_uri, p.sort_at
      from more m join post p on p.uri = m.embed_uri
      where m.depth < ${embedDepth} and m.embed_uri is not null
    ), posts as materialized (
      select ${LEVEL0_COLUMNS} from l0
      union all
      select distinct on (uri) ${LEVEL0_COLUMNS} from more m
      where not exists (select 1 from l0 x where x.uri = m.uri)
    ), post_uris as (
      select array_agg(uri) as uris from posts
    ), agg as (
      select a.uri, a.reply_count, a.repost_count, a.like_count, a.quote_count
      from post_agg a where a.uri = any((select uris from post_uris)::text[])
    ), vlike as (
      select distinct on (l.subject_uri) l.subject_uri, l.uri
      from "like" l
      where ${hashedEquals('l.author_did', viewer)} and ${hashedIn('l.subject_uri', sql`(select uris from post_uris)::text[]`)}
    ), vrepost as (
      select distinct on (r.subject_uri) r.subject_uri, r.uri
      from repost r
      where ${hashedEquals('r.author_did', viewer)} and ${hashedIn('r.subject_uri', sql`(select uris from post_uris)::text[]`)}
    ), accounts as (
      select array_agg(distinct d.did) as dids from (
        select author_did as did from posts
        union all
        select split_part(substr(reply_parent, 6), '/', 1) from posts where reply_parent is not null
        union all
        select did from extra
      ) d
    ), actor_rows as (
      select a.did, a.handle, a.status, a.pds_endpoint
      from actor a where a.did = any((select dids from accounts)::text[])
    ), profile_rows as (
      select p.did, p.uri, p.cid, p.display_name, p.avatar_cid, p.created_at,
        -- Basic views read only the self-labels (and the record's createdAt they are stamped with).
        case when p.record ? 'labels' then jsonb_build_object('labels', p.record -> 'labels',
          'createdAt', p.record -> 'createdAt') end as labels
      from profile p where p.did = any((select dids from accounts)::text[])
    ), following as (
      select distinct on (f.subject_did) f.subject_did as did, f.uri
      from follow f where f.author_did = ${viewer} and f.subject_did = any((select dids from accounts)::text[])
    ), followed_by as (
      select distinct on (f.author_did) f.author_did as did, f.uri
      from follow f where f.author_did = any((select dids from accounts)::text[]) and f.subject_did = ${viewer}
    )
    select (
      select coalesce(json_agg(json_build_array(p.uri, p.cid, p.author_did, p.record, p.reply_root, p.reply_parent,
        p.embed_uri, p.sort_at, a.reply_count, a.repost_count, a.like_count, a.quote_count, vl.uri, vr.uri)), '[]')
      from posts p
      left join agg a on a.uri = p.uri
      left join vlike vl on vl.subject_uri = p.uri
      left join vrepost vr on vr.subject_uri = p.uri
    )::text as posts, (
      select coalesce(json_agg(json_build_array(d.did, a.handle, a.status, a.pds_endpoint, pr.uri, pr.cid,
        pr.display_name, pr.avatar_cid, pr.created_at, pr.labels, fo.uri, fb.uri)), '[]')
      from unnest((select dids from accounts)) as d(did)
      left join actor_rows a on a.did = d.did
      left join profile_rows pr on pr.did = d.did
      left join following fo on fo.did = d.did
      left join followed_by fb on fb.did = d.did
      where a.did is not null or pr.did is not null
    )::text as actors`
}

type PostTuple = [
  string,
  string,
  string,
  unknown,
  string | null,
  string | null,
  string | null,
  string,
  number | null,
  number | null,
  number | null,
  number | null,
  string | null,
  string | null,
]

/** PostRows from the `posts` column of a statement ending in postHydrationTail. */
export function parsePostsJson(json: string): PostRow[] {
  return (JSON.parse(json) as PostTuple[]).map((t) => ({
    uri: t[0],
    cid: t[1],
    authorDid: t[2],
    record: t[3],
    replyRoot: t[4],
    replyParent: t[5],
    embedUri: t[6],
    sortAt: new Date(t[7]),
    replyCount: t[8] ?? 0,
    repostCount: t[9] ?? 0,
    likeCount: t[10] ?? 0,
    quoteCount: t[11] ?? 0,
    viewerLike: t[12],
    viewerRepost: t[13],
  }))
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
    with recursive l0 as (
      select ${LEVEL0_COLUMNS} from post where uri = any(${uris}::text[])
    ), extra as (
      select unnest(${extraDids}::text[]) as did
    ), ${postHydrationTail(opts)}
  `.execute(db)
  return { posts: parsePostsJson(rows[0].posts), actors: parseBasicActorsJson(rows[0].actors) }
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
    .where(hashedEquals('r.subject_uri', subjectUri))
  return paginateDesc(qb, { time: 'r.sortAt', cid: 'r.cid' }, key, limit).execute()
}

const LIKE_SORT_AT = sql<Date>`least(l.created_at, l.indexed_at)`

/**
 * Likes of a post, newest first by sort time, as the reference AppView: the earlier of the record's createdAt
 * and when it was indexed, so a like dated in the future cannot sit on top (the like subject index's order).
 */
export async function getLikesBySubject(
  db: Db,
  subjectUri: string,
  key: TimeCidKey | undefined,
  limit: number,
): Promise<{ uri: string; authorDid: string; createdAt: Date; time: Date; cid: string }[]> {
  const qb = db
    .selectFrom('like as l')
    .select(['l.uri', 'l.authorDid', 'l.createdAt', LIKE_SORT_AT.as('time'), 'l.cid'])
    .where(hashedEquals('l.subject_uri', subjectUri))
  return paginateDesc(qb, { time: LIKE_SORT_AT, cid: 'l.cid' }, key, limit).execute()
}
