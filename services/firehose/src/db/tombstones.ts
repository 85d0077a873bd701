import { sql } from 'kysely'
import type { DbTx } from '@sundial/common'
import { arrayLiteral, jsonRows } from './rows.ts'

export interface TombstoneRow {
  uri: string
  did: string
  collection: string
  rev: string
}

/** Revisions of the deletions recorded for any of `uris`. */
export async function findTombstones(tx: DbTx, uris: string[]): Promise<Map<string, string | null>> {
  if (uris.length === 0) return new Map()
  const result = await sql<{ uri: string; rev: string | null }>`
    select uri, rev from tombstone where uri = any(${arrayLiteral(uris)}::text[])
  `.execute(tx)
  return new Map(result.rows.map((r) => [r.uri, r.rev]))
}

/** Records deletions; an existing tombstone keeps the newest revision. */
export async function writeTombstones(tx: DbTx, rows: TombstoneRow[]): Promise<void> {
  if (rows.length === 0) return
  await sql`
    insert into tombstone (uri, did, collection, rev)
    select uri, did, collection, rev
    from json_to_recordset(${jsonRows(rows)}) as x(uri text, did text, collection text, rev text)
    order by uri
    on conflict (uri) do update set
      rev = greatest(tombstone.rev, excluded.rev),
      deleted_at = case when excluded.rev > tombstone.rev then now() else tombstone.deleted_at end
  `.execute(tx)
}

/** A record re-created after its deletion (a newer revision) is live again. */
export async function clearTombstones(tx: DbTx, uris: string[]): Promise<void> {
  if (uris.length === 0) return
  await sql`delete from tombstone where uri = any(${arrayLiteral(uris)}::text[])`.execute(tx)
}
