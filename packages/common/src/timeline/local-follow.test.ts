import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { fanOutFeedItems, registerLocalUser } from './fan-out.ts'

// local_follow is kept by triggers on follow and local_user; the fan-out finds a post's local viewers through it.
describe('local_follow', () => {
  let database: TestDatabase
  const local = 'did:plc:localviewer00000000000000'
  const later = 'did:plc:laterviewer00000000000000'
  const remote = 'did:plc:remotereader0000000000000'
  const author = 'did:plc:followedauthor000000000000'

  beforeAll(async () => {
    database = await createTestDatabase(inject('pgAdminUrl'), 'local_follow')
  })

  afterAll(async () => {
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  async function follow(by: string, rkey: string, subject = author): Promise<void> {
    await sql`
      insert into follow (uri, cid, author_did, subject_did, created_at)
      values (${`at://${by}/app.bsky.graph.follow/${rkey}`}, 'bafyfollow', ${by}, ${subject}, now())
    `.execute(database.db)
  }

  async function unfollow(by: string, rkey: string): Promise<void> {
    await sql`delete from follow where uri = ${`at://${by}/app.bsky.graph.follow/${rkey}`}`.execute(
      database.db,
    )
  }

  async function rows(): Promise<string[]> {
    const result = await sql<{ row: string }>`
      select viewer_did || ' ' || subject_did || ' ' || uri as row from local_follow order by 1
    `.execute(database.db)
    return result.rows.map((r) => r.row)
  }

  function row(by: string, rkey: string, subject = author): string {
    return `${by} ${subject} at://${by}/app.bsky.graph.follow/${rkey}`
  }

  it('holds exactly the follow records whose author is a local user, through every kind of write', async () => {
    await registerLocalUser(database.db, local)
    await follow(local, 'a')
    await follow(remote, 'b')
    expect(await rows()).toEqual([row(local, 'a')])

    // A duplicate follow record of the same account: two rows, the account stays followed until both go.
    await follow(local, 'c')
    await unfollow(local, 'a')
    expect(await rows()).toEqual([row(local, 'c')])

    // A user whose follows were indexed before they arrived brings them along.
    await follow(later, 'd')
    await follow(later, 'e', remote)
    await registerLocalUser(database.db, later)
    expect(await rows()).toEqual([row(later, 'd'), row(later, 'e', remote), row(local, 'c')].sort())

    await sql`delete from local_user where did = ${later}`.execute(database.db)
    expect(await rows()).toEqual([row(local, 'c')])

    // A statement writing many follows at once (as a batch does) keeps only the local ones.
    await sql`
      insert into follow (uri, cid, author_did, subject_did, created_at)
      select 'at://' || a || '/app.bsky.graph.follow/' || n, 'bafyfollow', a, ${author}, now()
      from unnest(array[${local}, ${remote}]::text[]) as a, generate_series(1, 3) as n
    `.execute(database.db)
    expect(await rows()).toHaveLength(4)

    await sql`truncate follow`.execute(database.db)
    expect(await rows()).toEqual([])
  })

  it('fans a new item out to the local users following its author, and only to them', async () => {
    await sql`truncate timeline_item, feed_item, follow, local_user`.execute(database.db)
    await registerLocalUser(database.db, local)
    await registerLocalUser(database.db, later)
    await follow(local, 'f')
    await follow(remote, 'g')
    const uri = `at://${author}/app.bsky.feed.post/3kpost`
    await sql`
      insert into feed_item (uri, cid, type, post_uri, originator_did, sort_at)
      values (${uri}, 'bafypost', 'post', ${uri}, ${author}, now())
    `.execute(database.db)
    await database.db.transaction().execute((tx) => fanOutFeedItems(tx, [uri]))
    const { rows: items } = await sql<{ viewerDid: string }>`
      select viewer_did from timeline_item where uri = ${uri}
    `.execute(database.db)
    expect(items.map((i) => i.viewerDid)).toEqual([local])
  })
})
