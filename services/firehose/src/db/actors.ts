import { sql } from 'kysely'
import type { DbTx } from '@sundial/common'
import type { AccountRow, IdentityRow } from '../indexers/actor.ts'
import { arrayLiteral, jsonRows } from './rows.ts'

/** Makes sure every author seen has an actor row (handle and status arrive with identity/account events). */
export async function ensureActors(tx: DbTx, dids: string[]): Promise<void> {
  if (dids.length === 0) return
  await sql`
    insert into actor (did)
    select did from unnest(${arrayLiteral(dids)}::text[]) as x(did) order by did
    on conflict (did) do nothing
  `.execute(tx)
}

export async function setHandles(tx: DbTx, rows: IdentityRow[]): Promise<void> {
  if (rows.length === 0) return
  await sql`
    insert into actor (did, handle)
    select did, handle from json_to_recordset(${jsonRows(rows)}) as x(did text, handle text) order by did
    on conflict (did) do update set handle = excluded.handle, updated_at = now()
  `.execute(tx)
}

export async function setAccountStatus(tx: DbTx, rows: AccountRow[]): Promise<void> {
  if (rows.length === 0) return
  await sql`
    insert into actor (did, active, status)
    select did, active, status
    from json_to_recordset(${jsonRows(rows)}) as x(did text, active boolean, status text) order by did
    on conflict (did) do update set active = excluded.active, status = excluded.status, updated_at = now()
  `.execute(tx)
}
