import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import type { Db } from '@sundial/common'
import { prepared } from './prepared.ts'

/** An account as far as this index knows it: the actor row and its profile record, either may be missing. */
export interface ActorRow {
  did: string
  handle: string | null
  status: string | null
  pdsEndpoint: string | null
  profileUri: string | null
  profileCid: string | null
  profileRecord: unknown
  displayName: string | null
  description: string | null
  avatarCid: string | null
  bannerCid: string | null
  profileIndexedAt: Date | null
  profileCreatedAt: Date | null
  followersCount: number
  followsCount: number
  postsCount: number
  /** The viewer's follow of this account, and this account's follow of the viewer. */
  following: string | null
  followedBy: string | null
}

/** Maps handles to DIDs through the actor table; DIDs pass through unchanged. */
export async function resolveActorDids(db: Db, actors: string[]): Promise<Map<string, string>> {
  const result = new Map<string, string>()
  const handles: string[] = []
  for (const actor of actors) {
    if (actor.startsWith('did:')) result.set(actor, actor)
    else handles.push(actor.toLowerCase())
  }
  if (handles.length > 0) {
    const rows = await db
      .selectFrom('actor')
      .select(['did', 'handle'])
      .where('handle', '=', sql<string>`any(${handles}::text[])`)
      .orderBy('updatedAt', 'desc')
      .execute()
    for (const row of rows) {
      if (row.handle && !result.has(row.handle)) result.set(row.handle, row.did)
    }
    for (const actor of actors) {
      const did = result.get(actor.toLowerCase())
      if (did && !actor.startsWith('did:')) result.set(actor, did)
    }
  }
  return result
}

/**
 * Actor, profile, counts and the viewer's follow relations for each DID in the relation `dids` (one `did`
 * column), as a SELECT whose columns are named as ActorRow's fields. Callers aggregate it to JSON text and
 * parse that once (`parseActorsJson`): the db's CamelCasePlugin would otherwise rename snake_case keys inside
 * profile records.
 * Accounts known to neither the actor nor the profile table are left out.
 *
 * Lookups are per DID (LIMIT 1 laterals): a page names a few dozen accounts, and a hash join over the whole
 * actor table is never the better plan for that, whatever the planner estimates for small tables.
 */
export function selectActorsForView(
  dids: RawBuilder<unknown>,
  viewer: string | null,
  opts: { withCounts?: boolean } = {},
): RawBuilder<unknown> {
  // Counts are shown on detailed profiles only; feeds and lists skip their lookup (zeros).
  const counts = opts.withCounts
    ? sql`left join lateral (select * from actor_agg where actor_agg.did = d.did limit 1) g on true`
    : sql`left join (select null::text as did, 0 as followers_count, 0 as follows_count, 0 as posts_count) g on false`
  return sql`
    select d.did, a.handle, a.status, a.pds_endpoint as "pdsEndpoint",
      p.uri as "profileUri", p.cid as "profileCid", p.display_name as "displayName", p.description,
      p.avatar_cid as "avatarCid", p.banner_cid as "bannerCid",
      p.indexed_at as "profileIndexedAt", p.created_at as "profileCreatedAt",
      p.record as "profileRecord",
      coalesce(g.followers_count, 0) as "followersCount", coalesce(g.follows_count, 0) as "followsCount",
      coalesce(g.posts_count, 0) as "postsCount",
      (select f.uri from follow f where f.author_did = ${viewer} and f.subject_did = d.did limit 1) as following,
      (select f.uri from follow f where f.author_did = d.did and f.subject_did = ${viewer} limit 1) as "followedBy"
    from ${dids} as d
    left join lateral (select * from actor where actor.did = d.did limit 1) a on true
    left join lateral (select * from profile where profile.did = d.did limit 1) p on true
    ${counts}
    where a.did is not null or p.did is not null
  `
}

type ActorJson = Omit<ActorRow, 'profileIndexedAt' | 'profileCreatedAt'> & {
  profileIndexedAt: string | null
  profileCreatedAt: string | null
}

/** ActorRows from the JSON array `json_agg` made of `selectActorsForView` rows. */
export function parseActorsJson(json: string): ActorRow[] {
  return (JSON.parse(json) as ActorJson[]).map((actor) => ({
    ...actor,
    profileIndexedAt: actor.profileIndexedAt === null ? null : new Date(actor.profileIndexedAt),
    profileCreatedAt: actor.profileCreatedAt === null ? null : new Date(actor.profileCreatedAt),
  }))
}

type BasicActorTuple = [
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  unknown,
  string | null,
  string | null,
]

/**
 * ActorRows for basic profile views from the `actors` column of a post hydration statement: the profile
 * record is reduced to its self-labels (with its createdAt); description, banner, indexedAt and counts are
 * left empty.
 */
export function parseBasicActorsJson(json: string): ActorRow[] {
  return (JSON.parse(json) as BasicActorTuple[]).map((t) => ({
    did: t[0],
    handle: t[1],
    status: t[2],
    pdsEndpoint: t[3],
    profileUri: t[4],
    profileCid: t[5],
    profileRecord: t[9] ?? null,
    displayName: t[6],
    description: null,
    avatarCid: t[7],
    bannerCid: null,
    profileIndexedAt: null,
    profileCreatedAt: t[8] === null ? null : new Date(t[8]),
    followersCount: 0,
    followsCount: 0,
    postsCount: 0,
    following: t[10],
    followedBy: t[11],
  }))
}

/** Accounts for `dids` as views need them, in one round trip; follower/follow/post counts when `withCounts`. */
export async function getActorsForView(
  db: Db,
  dids: string[],
  viewer: string | null,
  opts: { withCounts?: boolean } = {},
): Promise<ActorRow[]> {
  if (dids.length === 0) return []
  const { rows } = await sql<{ actors: string }>`
    ${prepared}
    with actors as (${selectActorsForView(sql`(select unnest(${dids}::text[]) as did)`, viewer, opts)})
    select coalesce(json_agg(actors), '[]')::text as actors from actors
  `.execute(db)
  return parseActorsJson(rows[0].actors)
}

/** The newest repo revision seen for an account (the `atproto-repo-rev` response header). */
export async function getRepoRev(db: Db, did: string): Promise<string | null> {
  const row = await db.selectFrom('actor').select('rev').where('did', '=', did).executeTakeFirst()
  return row?.rev ?? null
}
