import { sql } from 'kysely'
import type { DbTx } from '@sundial/common'
import type { ProfileRow } from '../indexers/profile.ts'
import { INDEXED_AT, arrayLiteral, didOfUri, jsonRowsWithRecord } from './rows.ts'

/** Stores profiles that are not stored yet (an edit deletes the old version first, in the same batch). */
export async function insertProfiles(tx: DbTx, rows: ProfileRow[]): Promise<void> {
  if (rows.length === 0) return
  await sql`
    insert into profile (did, uri, cid, display_name, description, avatar_cid, banner_cid, record, created_at,
      indexed_at, rev)
    select did, uri, cid, "displayName", description, "avatarCid", "bannerCid", record, "createdAt",
      ${INDEXED_AT}, rev
    from json_to_recordset(${jsonRowsWithRecord(rows)}) as x(
      did text, uri text, cid text, "displayName" text, description text, "avatarCid" text, "bannerCid" text,
      record jsonb, "createdAt" timestamptz, "timeUs" bigint, rev text)
    on conflict (did) do nothing
  `.execute(tx)
}

/** Deletes stored profiles by record uri, found through their DID (the key): the uri has no index. */
export async function deleteProfiles(tx: DbTx, uris: string[]): Promise<void> {
  if (uris.length === 0) return
  await sql`
    delete from profile
    where did = any(${arrayLiteral(uris.map(didOfUri))}::text[]) and uri = any(${arrayLiteral(uris)}::text[])
  `.execute(tx)
}
