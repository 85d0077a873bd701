import { sql } from 'kysely'
import type { DbTx } from '@sundial/common'
import type { FollowCounted, FollowRow } from '../indexers/follow.ts'
import { INDEXED_AT, arrayLiteral, column } from './rows.ts'

export async function insertFollows(tx: DbTx, rows: FollowRow[]): Promise<FollowCounted[]> {
  if (rows.length === 0) return []
  const result = await sql<FollowCounted>`
    insert into follow (uri, cid, author_did, subject_did, created_at, indexed_at, rev)
    select uri, cid, "authorDid", "subjectDid", "createdAt", ${INDEXED_AT}, rev
    from unnest(
      ${column(rows, 'uri')}::text[], ${column(rows, 'cid')}::text[], ${column(rows, 'authorDid')}::text[],
      ${column(rows, 'subjectDid')}::text[], ${column(rows, 'createdAt')}::timestamptz[],
      ${column(rows, 'timeUs')}::bigint[], ${column(rows, 'rev')}::text[]
    ) as x(uri, cid, "authorDid", "subjectDid", "createdAt", "timeUs", rev)
    on conflict (uri) do nothing
    returning author_did, subject_did
  `.execute(tx)
  return result.rows
}

export async function deleteFollows(tx: DbTx, uris: string[]): Promise<FollowCounted[]> {
  if (uris.length === 0) return []
  const result = await sql<FollowCounted>`
    delete from follow where uri = any(${arrayLiteral(uris)}::text[]) returning author_did, subject_did
  `.execute(tx)
  return result.rows
}
