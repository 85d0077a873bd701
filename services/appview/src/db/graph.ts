import type { Db } from '@sundial/common'
import { paginateDesc } from './pagination.ts'
import type { TimeCidKey } from './pagination.ts'

export interface FollowEdge {
  uri: string
  /** The other account: the subject for getFollows, the follower for getFollowers. */
  did: string
  time: Date
  cid: string
}

/** Accounts `did` follows, newest follow first. */
export async function getFollowsOf(
  db: Db,
  did: string,
  key: TimeCidKey | undefined,
  limit: number,
): Promise<FollowEdge[]> {
  const qb = db
    .selectFrom('follow as f')
    .select(['f.uri', 'f.subjectDid as did', 'f.createdAt as time', 'f.cid'])
    .where('f.authorDid', '=', did)
  return paginateDesc(qb, { time: 'f.createdAt', cid: 'f.cid' }, key, limit).execute()
}

/** Accounts following `did`, newest follow first. */
export async function getFollowersOf(
  db: Db,
  did: string,
  key: TimeCidKey | undefined,
  limit: number,
): Promise<FollowEdge[]> {
  const qb = db
    .selectFrom('follow as f')
    .select(['f.uri', 'f.authorDid as did', 'f.createdAt as time', 'f.cid'])
    .where('f.subjectDid', '=', did)
  return paginateDesc(qb, { time: 'f.createdAt', cid: 'f.cid' }, key, limit).execute()
}
