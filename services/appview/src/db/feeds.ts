import { sql } from 'kysely'
import type { Db } from '@sundial/common'
import { paginateDesc } from './pagination.ts'
import { LEVEL0_COLUMNS, parsePostsJson, postHydrationTail } from './posts.ts'
import type { PostsWithAccounts } from './posts.ts'
import { parseBasicActorsJson } from './actors.ts'
import { prepared } from './prepared.ts'
import type { TimeCidKey } from './pagination.ts'

/** One feed entry: a post, or a repost of `postUri` by `originatorDid`. */
export interface FeedItemRow {
  uri: string
  cid: string
  type: 'post' | 'repost'
  postUri: string
  originatorDid: string
  sortAt: Date
}

export interface TimelineFilters {
  excludeReposts?: boolean
  /** Drops the viewer's and followed accounts' replies; reposts stay even when the reposted post is a reply. */
  excludeReplies?: boolean
  /** Primary language subtags, lower case (`en`, `pt`); a post matches when one of its langs has that subtag. */
  langs?: string[]
  /** Inclusive lower bound on sort time. */
  since?: Date
  /** Exclusive upper bound on sort time. */
  until?: Date
}

/**
 * A local user's home timeline: one range scan of their materialised timeline_item rows. Items whose post no
 * longer exists (deleted, or a repost of something never indexed) are skipped here so pages stay full.
 */
export async function getTimelinePage(
  db: Db,
  viewerDid: string,
  key: TimeCidKey | undefined,
  limit: number,
  filters: TimelineFilters = {},
): Promise<FeedItemRow[]> {
  let qb = db
    .selectFrom('timelineItem as ti')
    .modifyFront(prepared)
    .innerJoin('post as p', 'p.uri', 'ti.postUri')
    .select(['ti.uri', 'ti.cid', 'ti.type', 'ti.postUri', 'ti.originatorDid', 'ti.sortAt'])
    .where('ti.viewerDid', '=', viewerDid)
  if (filters.excludeReposts) qb = qb.where('ti.type', '=', 'post')
  if (filters.excludeReplies) {
    qb = qb.where((eb) => eb.or([eb('p.replyParent', 'is', null), eb('ti.type', '=', 'repost')]))
  }
  if (filters.langs && filters.langs.length > 0) {
    qb = qb.where(
      sql<boolean>`exists (select 1 from unnest(p.langs) l where lower(split_part(l, '-', 1)) = any(${filters.langs}::text[]))`,
    )
  }
  if (filters.since) qb = qb.where('ti.sortAt', '>=', filters.since)
  if (filters.until) qb = qb.where('ti.sortAt', '<', filters.until)
  return paginateDesc(qb, { time: 'ti.sortAt', cid: 'ti.cid' }, key, limit).execute()
}

/** The largest page a timeline method asks for (app.bsky.feed.getTimeline's maximum limit). */
const MAX_PAGE = 100

export interface HydratedTimelinePage extends PostsWithAccounts {
  items: FeedItemRow[]
}

/**
 * getTimelinePage and the hydration of its items (getPostsWithAccounts with reply context, the originators as
 * extra accounts) in one statement: one round trip, and the page's posts come from the range scan's own join
 * instead of being looked up again.
 */
export async function getHydratedTimelinePage(
  db: Db,
  viewerDid: string,
  key: TimeCidKey | undefined,
  limit: number,
  filters: TimelineFilters = {},
): Promise<HydratedTimelinePage> {
  const { rows } = await hydratedTimelineQuery(viewerDid, key, limit, filters).execute(db)
  const items = (
    JSON.parse(rows[0].items) as [string, string, 'post' | 'repost', string, string, string][]
  ).map((t) => ({
    uri: t[0],
    cid: t[1],
    type: t[2],
    postUri: t[3],
    originatorDid: t[4],
    sortAt: new Date(t[5]),
  }))
  return { items, posts: parsePostsJson(rows[0].posts), actors: parseBasicActorsJson(rows[0].actors) }
}

/** The statement getHydratedTimelinePage runs (exported so a benchmark can explain it). */
export function hydratedTimelineQuery(
  viewerDid: string,
  key: TimeCidKey | undefined,
  limit: number,
  filters: TimelineFilters = {},
) {
  const where = [sql`ti.viewer_did = ${viewerDid}::text`]
  if (key) where.push(sql`(ti.sort_at, ti.cid) < (${key.time.toISOString()}::timestamptz, ${key.cid}::text)`)
  if (filters.excludeReposts) where.push(sql`ti.type = 'post'`)
  if (filters.excludeReplies) where.push(sql`(p.reply_parent is null or ti.type = 'repost')`)
  if (filters.langs && filters.langs.length > 0) {
    where.push(
      sql`exists (select 1 from unnest(p.langs) l where lower(split_part(l, '-', 1)) = any(${filters.langs}::text[]))`,
    )
  }
  if (filters.since) where.push(sql`ti.sort_at >= ${filters.since.toISOString()}::timestamptz`)
  if (filters.until) where.push(sql`ti.sort_at < ${filters.until.toISOString()}::timestamptz`)
  return sql<{ items: string; posts: string; actors: string }>`
    ${prepared}
    with recursive page as materialized (
      -- The literal inner limit gives a prepared statement a generic plan as cheap as a custom one, so Postgres
      -- plans it once per connection (with only a parameter as limit it assumes a tenth of the viewer's
      -- timeline and plans every call). Limits are lazy: the scan stops after the outer limit's rows.
      select * from (
        select ti.uri as item_uri, ti.cid as item_cid, ti.type, ti.originator_did, ti.sort_at as item_sort_at,
          p.uri, p.cid, p.author_did, p.record, p.reply_root, p.reply_parent, p.embed_uri, p.sort_at
        from timeline_item ti join post p on p.uri = ti.post_uri
        where ${sql.join(where, sql` and `)}
        order by ti.sort_at desc, ti.cid desc
        limit ${sql.lit(Math.max(MAX_PAGE, Math.trunc(limit)))}
      ) s
      order by item_sort_at desc, item_cid desc
      limit ${limit}::int
    ), l0 as (
      select distinct on (uri) ${LEVEL0_COLUMNS} from page
    ), extra as (
      select originator_did as did from page
    ), ${postHydrationTail({ viewer: viewerDid, withReplyContext: true })},
    (
      select coalesce(json_agg(json_build_array(item_uri, item_cid, type, uri, originator_did, item_sort_at)
        order by item_sort_at desc, item_cid desc), '[]')
      from page
    )::text as items
  `
}

export type AuthorFeedFilter =
  | 'posts_with_replies'
  | 'posts_no_replies'
  | 'posts_with_media'
  | 'posts_and_author_threads'
  | 'posts_with_video'

const IMAGES = 'app.bsky.embed.images'
const VIDEO = 'app.bsky.embed.video'
const RECORD_WITH_MEDIA = 'app.bsky.embed.recordWithMedia'

/** An account's posts and reposts (the author-feed index), with the reference AppView's filters. */
export async function getAuthorFeedPage(
  db: Db,
  actorDid: string,
  filter: AuthorFeedFilter,
  key: TimeCidKey | undefined,
  limit: number,
): Promise<FeedItemRow[]> {
  let qb = db
    .selectFrom('feedItem as fi')
    .modifyFront(prepared)
    .innerJoin('post as p', 'p.uri', 'fi.postUri')
    .select(['fi.uri', 'fi.cid', 'fi.type', 'fi.postUri', 'fi.originatorDid', 'fi.sortAt'])
    .where('fi.originatorDid', '=', actorDid)
  if (filter === 'posts_with_media' || filter === 'posts_with_video') {
    const media = filter === 'posts_with_media' ? IMAGES : VIDEO
    qb = qb
      .where('fi.type', '=', 'post')
      .where((eb) =>
        eb.or([
          eb('p.embedType', '=', media),
          eb.and([
            eb('p.embedType', '=', RECORD_WITH_MEDIA),
            eb(sql`p.record -> 'embed' -> 'media' ->> '$type'`, '=', media),
          ]),
        ]),
      )
  } else if (filter === 'posts_no_replies') {
    qb = qb.where((eb) => eb.or([eb('p.replyParent', 'is', null), eb('fi.type', '=', 'repost')]))
  } else if (filter === 'posts_and_author_threads') {
    qb = qb.where((eb) =>
      eb.or([
        eb('fi.type', '=', 'repost'),
        eb('p.replyParent', 'is', null),
        sql<boolean>`starts_with(p.reply_root, ${`at://${actorDid}/`})`,
      ]),
    )
  }
  return paginateDesc(qb, { time: 'fi.sortAt', cid: 'fi.cid' }, key, limit).execute()
}
