import { sql } from 'kysely'
import type { DbTx } from '@sundial/common'
import type { LikeCounted, LikeRow } from '../indexers/like.ts'
import { INDEXED_AT, arrayLiteral, column } from './rows.ts'

/** Inserts likes not stored yet; returns how many were inserted per subject (likes are most of the stream). */
export async function insertLikes(tx: DbTx, rows: LikeRow[]): Promise<LikeCounted[]> {
  if (rows.length === 0) return []
  const result = await sql<LikeCounted>`
    with inserted as (
      insert into "like" (uri, cid, author_did, subject_uri, subject_cid, created_at, indexed_at, rev)
      select uri, cid, "authorDid", "subjectUri", "subjectCid", "createdAt", ${INDEXED_AT}, rev
      from unnest(
        ${column(rows, 'uri')}::text[], ${column(rows, 'cid')}::text[], ${column(rows, 'authorDid')}::text[],
        ${column(rows, 'subjectUri')}::text[], ${column(rows, 'subjectCid')}::text[],
        ${column(rows, 'createdAt')}::timestamptz[], ${column(rows, 'timeUs')}::bigint[], ${column(rows, 'rev')}::text[]
      ) as x(uri, cid, "authorDid", "subjectUri", "subjectCid", "createdAt", "timeUs", rev)
      on conflict (uri) do nothing
      returning subject_uri
    )
    select subject_uri, count(*)::int as count from inserted group by subject_uri
  `.execute(tx)
  return result.rows
}

export async function deleteLikes(tx: DbTx, uris: string[]): Promise<LikeCounted[]> {
  if (uris.length === 0) return []
  const result = await sql<LikeCounted>`
    with deleted as (delete from "like" where uri = any(${arrayLiteral(uris)}::text[]) returning subject_uri)
    select subject_uri, count(*)::int as count from deleted group by subject_uri
  `.execute(tx)
  return result.rows
}
