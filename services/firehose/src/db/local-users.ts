import { sql } from 'kysely'
import type { Db, DbTx } from '@sundial/common'
import { arrayLiteral } from './rows.ts'

/** Which of `dids` are local users (inside the batch transaction, after the fan-out lock). */
export async function localUsersAmong(tx: DbTx, dids: string[]): Promise<Set<string>> {
  if (dids.length === 0) return new Set()
  const result = await sql<{ did: string }>`
    select did from local_user where did = any(${arrayLiteral(dids)}::text[])
  `.execute(tx)
  return new Set(result.rows.map((r) => r.did))
}

export interface LocalScopeDids {
  localUsers: string[]
  followed: string[]
}

/** Local users and every account they follow: what the `local` index scope keeps. */
export async function readLocalScope(db: Db): Promise<LocalScopeDids> {
  const [locals, followed] = await Promise.all([
    sql<{ did: string }>`select did from local_user`.execute(db),
    sql<{ did: string }>`select distinct subject_did as did from local_follow`.execute(db),
  ])
  return { localUsers: locals.rows.map((r) => r.did), followed: followed.rows.map((r) => r.did) }
}

/**
 * Which of `dids` have a local user among their viewers: local users themselves, and accounts a local user follows.
 * Items by anyone else cannot reach a timeline, so they skip the per-item fan-out. One index probe per did in
 * each table, however many followers the account has elsewhere.
 */
export async function withLocalViewers(tx: DbTx, dids: string[]): Promise<Set<string>> {
  if (dids.length === 0) return new Set()
  const didArray = arrayLiteral(dids)
  const result = await sql<{ did: string }>`
    select did from local_user where did = any(${didArray}::text[])
    union
    select subject_did from local_follow where subject_did = any(${didArray}::text[])
  `.execute(tx)
  return new Set(result.rows.map((r) => r.did))
}
