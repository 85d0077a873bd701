import type { Kysely } from 'kysely'
import { sql } from 'kysely'

// Frozen: never edit after it lands; add a new migration instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table actor (
      did text primary key,
      handle text,
      pds_endpoint text,
      status text not null default 'active',
      active boolean not null default true,
      rev text,
      indexed_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index actor_handle_idx on actor (handle);

    create table post (
      uri text primary key,
      cid text not null,
      author_did text not null,
      rkey text not null,
      text text not null,
      record jsonb not null,
      reply_root text,
      reply_root_cid text,
      reply_parent text,
      reply_parent_cid text,
      embed_type text,
      embed_uri text,
      langs text[],
      created_at timestamptz not null,
      indexed_at timestamptz not null default now(),
      sort_at timestamptz not null,
      rev text
    );
    create index post_author_sort_idx on post (author_did, sort_at desc, cid desc);
    create index post_reply_parent_idx on post (reply_parent) where reply_parent is not null;
    create index post_reply_root_idx on post (reply_root) where reply_root is not null;
    create index post_embed_uri_idx on post (embed_uri) where embed_uri is not null;

    create table repost (
      uri text primary key,
      cid text not null,
      author_did text not null,
      subject_uri text not null,
      subject_cid text not null,
      created_at timestamptz not null,
      indexed_at timestamptz not null default now(),
      sort_at timestamptz not null,
      rev text
    );
    create index repost_subject_idx on repost (subject_uri, sort_at desc, cid desc);
    create index repost_author_subject_idx on repost (author_did, subject_uri);

    create table follow (
      uri text primary key,
      cid text not null,
      author_did text not null,
      subject_did text not null,
      created_at timestamptz not null,
      indexed_at timestamptz not null default now(),
      rev text
    );
    create index follow_author_idx on follow (author_did, created_at desc, cid desc);
    create index follow_subject_idx on follow (subject_did, created_at desc, cid desc);
    create index follow_author_subject_idx on follow (author_did, subject_did);

    create table "like" (
      uri text primary key,
      cid text not null,
      author_did text not null,
      subject_uri text not null,
      subject_cid text not null,
      created_at timestamptz not null,
      indexed_at timestamptz not null default now(),
      rev text
    );
    create index like_subject_idx on "like" (subject_uri, created_at desc, cid desc);
    create index like_author_subject_idx on "like" (author_did, subject_uri);

    create table profile (
      did text primary key,
      uri text not null,
      cid text not null,
      display_name text,
      description text,
      avatar_cid text,
      banner_cid text,
      record jsonb not null,
      created_at timestamptz,
      indexed_at timestamptz not null default now(),
      rev text
    );

    create table post_agg (
      uri text primary key,
      reply_count integer not null default 0,
      repost_count integer not null default 0,
      like_count integer not null default 0,
      quote_count integer not null default 0
    );

    create table actor_agg (
      did text primary key,
      followers_count integer not null default 0,
      follows_count integer not null default 0,
      posts_count integer not null default 0
    );

    create table tombstone (
      uri text primary key,
      did text not null,
      collection text not null,
      rev text,
      deleted_at timestamptz not null default now()
    );
    create index tombstone_did_idx on tombstone (did);

    create table feed_item (
      uri text primary key,
      cid text not null,
      type text not null,
      post_uri text not null,
      originator_did text not null,
      sort_at timestamptz not null
    );
    create index feed_item_originator_sort_idx on feed_item (originator_did, sort_at desc, cid desc);
    create index feed_item_post_idx on feed_item (post_uri);

    create table timeline_item (
      viewer_did text not null,
      uri text not null,
      cid text not null,
      type text not null,
      post_uri text not null,
      originator_did text not null,
      sort_at timestamptz not null,
      primary key (viewer_did, uri)
    );
    create index timeline_item_viewer_sort_idx on timeline_item (viewer_did, sort_at desc, cid desc);
    create index timeline_item_viewer_originator_idx on timeline_item (viewer_did, originator_did);

    create table local_user (
      did text primary key,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      timeline_built_at timestamptz,
      complete_since timestamptz
    );

    create table cursor (
      name text primary key,
      time_us bigint not null,
      updated_at timestamptz not null default now()
    );
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table cursor, local_user, timeline_item, feed_item, tombstone, actor_agg, post_agg,
      profile, "like", follow, repost, post, actor;
  `.execute(db)
}
