import { sql } from 'kysely'
import type { DbTx } from '@sundial/common'
import type { ActorAggDelta, PostAggDelta } from '../indexers/aggregates.ts'
import { column } from './rows.ts'

/** Adds count deltas (sorted by key, so concurrent writers take row locks in one order). */
export async function addPostAggDeltas(tx: DbTx, rows: Array<{ uri: string } & PostAggDelta>): Promise<void> {
  if (rows.length === 0) return
  await sql`
    insert into post_agg (uri, reply_count, repost_count, like_count, quote_count)
    select uri, replies, reposts, likes, quotes
    from unnest(
      ${column(rows, 'uri')}::text[], ${column(rows, 'replies')}::int[], ${column(rows, 'reposts')}::int[],
      ${column(rows, 'likes')}::int[], ${column(rows, 'quotes')}::int[]
    ) as x(uri, replies, reposts, likes, quotes)
    order by uri
    on conflict (uri) do update set
      reply_count = post_agg.reply_count + excluded.reply_count,
      repost_count = post_agg.repost_count + excluded.repost_count,
      like_count = post_agg.like_count + excluded.like_count,
      quote_count = post_agg.quote_count + excluded.quote_count
  `.execute(tx)
}

export async function addActorAggDeltas(
  tx: DbTx,
  rows: Array<{ did: string } & ActorAggDelta>,
): Promise<void> {
  if (rows.length === 0) return
  await sql`
    insert into actor_agg (did, followers_count, follows_count, posts_count)
    select did, followers, follows, posts
    from unnest(
      ${column(rows, 'did')}::text[], ${column(rows, 'followers')}::int[], ${column(rows, 'follows')}::int[],
      ${column(rows, 'posts')}::int[]
    ) as x(did, followers, follows, posts)
    order by did
    on conflict (did) do update set
      followers_count = actor_agg.followers_count + excluded.followers_count,
      follows_count = actor_agg.follows_count + excluded.follows_count,
      posts_count = actor_agg.posts_count + excluded.posts_count
  `.execute(tx)
}
