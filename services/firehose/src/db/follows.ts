import { sql } from 'kysely'
import type { DbTx } from '@sundial/common'
import type { FollowCounted, FollowRow } from '../indexers/follow.ts'
import { INDEXED_AT, jsonRows } from './rows.ts'

export async function insertFollows(tx: DbTx, rows: FollowRow[]): Promise<FollowCounted[]> {
  if (rows.length === 0) return []
  const result = await sql<FollowCounted>`
    insert into follow (uri, cid, author_did, subject_did, created_at, indexed_at, rev)
    select uri, cid, "authorDid", "subjectDid", "createdAt", ${INDEXED_AT}, rev
    from json_to_recordset(${jsonRows(rows)}) as x(
      uri text, cid text, "authorDid" text, "subjectDid" text,
      "createdAt" timestamptz, "timeUs" bigint, rev text)
    on conflict (uri) do nothing
    returning author_did, subject_did
  `.execute(tx)
  return result.rows
}

export async function deleteFollows(tx: DbTx, uris: string[]): Promise<FollowCounted[]> {
  if (uris.length === 0) return []
  const result = await sql<FollowCounted>`
    delete from follow where uri = any(${uris}::text[]) returning author_did, subject_did
  `.execute(tx)
  return result.rows
}
