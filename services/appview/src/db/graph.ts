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

/**
 * One page of `did`'s follow graph, newest follow first: the accounts it follows (`follows`) or the accounts
 * following it (`followers`).
 */
export async function getFollowEdges(
  db: Db,
  direction: 'follows' | 'followers',
  did: string,
  key: TimeCidKey | undefined,
  limit: number,
): Promise<FollowEdge[]> {
  const [self, other] =
    direction === 'follows' ? (['authorDid', 'subjectDid'] as const) : (['subjectDid', 'authorDid'] as const)
  const qb = db
    .selectFrom('follow as f')
    .select([`f.${other} as did`, 'f.uri', 'f.createdAt as time', 'f.cid'])
    .where(`f.${self}`, '=', did)
  return paginateDesc(qb, { time: 'f.createdAt', cid: 'f.cid' }, key, limit).execute()
}
