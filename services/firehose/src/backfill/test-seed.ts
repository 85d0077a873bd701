import type { Db } from '@sundial/common'

/** Test data: `user` is a local user who follows `followed` (one indexed follow record). */
export async function seedLocalUserFollowing(db: Db, user: string, followed: string): Promise<void> {
  await db.insertInto('localUser').values({ did: user, timelineBuiltAt: null, completeSince: null }).execute()
  await db
    .insertInto('follow')
    .values({
      uri: `at://${user}/app.bsky.graph.follow/3kaaaaaaaaaa2`,
      cid: 'bafyreib2rxk3rh6kzwq',
      authorDid: user,
      subjectDid: followed,
      createdAt: new Date(),
      rev: null,
    })
    .execute()
}
