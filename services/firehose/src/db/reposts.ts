import { sql } from 'kysely'
import type { DbTx } from '@sundial/common'
import type { RepostCounted, RepostRow } from '../indexers/repost.ts'
import { INDEXED_AT, arrayLiteral, column } from './rows.ts'

export interface StoredRepost extends RepostCounted {
  uri: string
  authorDid: string
}

/** Inserts reposts that are not stored yet, with their feed items; returns the ones actually inserted. */
export async function insertReposts(tx: DbTx, rows: RepostRow[]): Promise<StoredRepost[]> {
  if (rows.length === 0) return []
  const result = await sql<StoredRepost>`
    with input as (
      select x.*, ${INDEXED_AT} as indexed_at
      from unnest(
        ${column(rows, 'uri')}::text[], ${column(rows, 'cid')}::text[], ${column(rows, 'authorDid')}::text[],
        ${column(rows, 'subjectUri')}::text[], ${column(rows, 'subjectCid')}::text[],
        ${column(rows, 'createdAt')}::timestamptz[], ${column(rows, 'timeUs')}::bigint[], ${column(rows, 'rev')}::text[]
      ) as x(uri, cid, "authorDid", "subjectUri", "subjectCid", "createdAt", "timeUs", rev)
    ), inserted as (
      insert into repost (uri, cid, author_did, subject_uri, subject_cid, created_at, indexed_at, sort_at, rev)
      select uri, cid, "authorDid", "subjectUri", "subjectCid", "createdAt", indexed_at,
        least("createdAt", indexed_at), rev
      from input
      on conflict (uri) do nothing
      returning uri, cid, author_did, subject_uri, sort_at
    ), feed as (
      insert into feed_item (uri, cid, type, post_uri, originator_did, sort_at)
      select uri, cid, 'repost', subject_uri, author_did, sort_at from inserted
      on conflict (uri) do nothing
    )
    select uri, author_did, subject_uri from inserted
  `.execute(tx)
  return result.rows
}

export async function deleteReposts(tx: DbTx, uris: string[]): Promise<StoredRepost[]> {
  if (uris.length === 0) return []
  const result = await sql<StoredRepost>`
    with deleted as (
      delete from repost where uri = any(${arrayLiteral(uris)}::text[]) returning uri, author_did, subject_uri
    ), feed as (
      delete from feed_item where uri in (select uri from deleted)
    )
    select uri, author_did, subject_uri from deleted
  `.execute(tx)
  return result.rows
}
