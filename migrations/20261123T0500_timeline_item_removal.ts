import type { Kysely } from 'kysely'
import { sql } from 'kysely'

// Frozen: never edit after it lands; add a new migration instead.
// The firehose takes deleted posts and reposts (and reposts of deleted posts) out of every timeline in each batch
// (removeFromTimelines: by item uri and by shown post uri). Without these, each such batch scans timeline_item.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index if not exists timeline_item_uri_idx on timeline_item (uri);
    create index if not exists timeline_item_post_uri_idx on timeline_item (post_uri);
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index if exists timeline_item_post_uri_idx;
    drop index if exists timeline_item_uri_idx;
  `.execute(db)
}
