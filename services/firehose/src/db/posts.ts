import { sql } from 'kysely'
import type { DbTx } from '@sundial/common'
import type { PostCounted, PostRow } from '../indexers/post.ts'
import { INDEXED_AT, arrayLiteral, jsonRowsWithRecord } from './rows.ts'

export interface StoredPost extends PostCounted {
  uri: string
}

/** Inserts posts that are not stored yet, with their feed items; returns the ones actually inserted. */
export async function insertPosts(tx: DbTx, rows: PostRow[]): Promise<StoredPost[]> {
  if (rows.length === 0) return []
  const result = await sql<StoredPost>`
    with input as (
      select x.*, ${INDEXED_AT} as indexed_at
      from json_to_recordset(${jsonRowsWithRecord(rows)}) as x(
        uri text, cid text, "authorDid" text, rkey text, text text, record jsonb,
        "replyRoot" text, "replyRootCid" text, "replyParent" text, "replyParentCid" text,
        "embedType" text, "embedUri" text, langs text[], "createdAt" timestamptz, "timeUs" bigint, rev text)
    ), inserted as (
      insert into post (uri, cid, author_did, rkey, text, record, reply_root, reply_root_cid, reply_parent,
        reply_parent_cid, embed_type, embed_uri, langs, created_at, indexed_at, sort_at, rev)
      select uri, cid, "authorDid", rkey, text, record, "replyRoot", "replyRootCid", "replyParent",
        "replyParentCid", "embedType", "embedUri", langs, "createdAt", indexed_at, least("createdAt", indexed_at), rev
      from input
      on conflict (uri) do nothing
      returning uri, cid, author_did, reply_parent, embed_uri, sort_at
    ), feed as (
      insert into feed_item (uri, cid, type, post_uri, originator_did, sort_at)
      select uri, cid, 'post', uri, author_did, sort_at from inserted
      on conflict (uri) do nothing
    )
    select uri, author_did, reply_parent, embed_uri from inserted
  `.execute(tx)
  return result.rows
}

/** Deletes posts and their feed items; returns what was actually deleted. */
export async function deletePosts(tx: DbTx, uris: string[]): Promise<StoredPost[]> {
  if (uris.length === 0) return []
  const result = await sql<StoredPost>`
    with deleted as (
      delete from post where uri = any(${arrayLiteral(uris)}::text[])
      returning uri, author_did, reply_parent, embed_uri
    ), feed as (
      delete from feed_item where uri in (select uri from deleted)
    )
    select uri, author_did, reply_parent, embed_uri from deleted
  `.execute(tx)
  return result.rows
}
