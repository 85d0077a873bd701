import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import type { TestNetwork } from '@atproto/dev-env'
import { backfillStatusFor, enqueueOnboarding, registerLocalUser } from '@sundial/common'
import { createTestDatabase, dropDatabase, startDevNetwork } from '@sundial/devnet'
import type { DevNetwork, TestDatabase } from '@sundial/devnet'
import type { FirehoseService } from '@sundial/firehose'
import {
  expectedTimeline,
  firehoseConfig,
  follow,
  startSundial,
  timelineUris,
  waitFor,
  writeLikes,
  writePosts,
  writeReposts,
} from './harness.ts'

/** The reference AppView's timeline for `viewer`, every page (limit 10, where it loses no own items). */
async function referenceTimeline(net: DevNetwork, viewer: string): Promise<string[]> {
  const network = net.network as TestNetwork
  const agent = new AtpAgent({ service: net.bskyUrl! })
  const uris: string[] = []
  let cursor: string | undefined
  do {
    const { data } = await agent.app.bsky.feed.getTimeline(
      { limit: 10, cursor },
      { headers: await network.serviceHeaders(viewer, 'app.bsky.feed.getTimeline') },
    )
    for (const item of data.feed) {
      const reason = item.reason as { $type?: string; uri?: string } | undefined
      uris.push(
        reason?.$type === 'app.bsky.feed.defs#reasonRepost' && reason.uri ? reason.uri : item.post.uri,
      )
    }
    cursor = data.feed.length > 0 ? data.cursor : undefined
  } while (cursor)
  return uris
}

describe('onboarding a new local user', () => {
  let net: DevNetwork
  let database: TestDatabase
  let sundial: FirehoseService | undefined

  beforeAll(async () => {
    net = await startDevNetwork({ withAppView: true, pgAdminUrl: inject('pgAdminUrl') })
    database = await createTestDatabase(inject('pgAdminUrl'), 'bf_onboard')
  })

  afterAll(async () => {
    await sundial?.destroy()
    await net?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('gives a user whose follows already exist a complete first timeline, as the reference AppView has it', async () => {
    const nina = await net.createUser('nina')
    const bob = await net.createUser('bob')
    const carol = await net.createUser('carol')
    const dave = await net.createUser('dave')
    const eve = await net.createUser('eve')
    await nina.agent.upsertProfile(() => ({ displayName: 'Nina' }))
    const bobPosts = await writePosts(bob, 60)
    const carolPosts = await writePosts(carol, 40)
    const evePosts = await writePosts(eve, 30)
    await writeReposts(bob, [...carolPosts.slice(0, 5), ...evePosts.slice(0, 5)])
    await writeReposts(dave, evePosts.slice(5, 12))
    await writePosts(dave, 25)
    await writePosts(nina, 12)
    await writeReposts(nina, bobPosts.slice(0, 3))
    await writeLikes(nina, carolPosts.slice(0, 4))
    for (const subject of [bob.did, carol.did, dave.did]) await follow(nina, subject)
    await writePosts(bob, 10, 'later')
    await net.sync()

    // Sundial starts after all of it: the stream never shows it any of this history.
    sundial = await startSundial(firehoseConfig(net, database), database)
    const db = database.db
    // What the AppView does on a viewer's first authenticated read.
    await registerLocalUser(db, nina.did)
    await enqueueOnboarding(db, nina.did)
    expect((await backfillStatusFor(db, nina.did)).complete).toBe(false)

    const status = await waitFor('Nina’s timeline to be complete', async () => {
      const s = await backfillStatusFor(db, nina.did)
      return s.complete ? s : undefined
    })
    expect(status).toMatchObject({ isLocalUser: true, pending: 0, failed: 0 })
    expect(status.completeSince).toBeInstanceOf(Date)

    const reference = await referenceTimeline(net, nina.did)
    const byRule = await expectedTimeline(net, [nina.did, bob.did, carol.did, dave.did])
    expect(reference).toEqual(byRule)
    expect(await timelineUris(db, nina.did)).toEqual(reference)

    // The user's own repo came in whole: profile, follows and likes too.
    const profile = await db
      .selectFrom('profile')
      .select('displayName')
      .where('did', '=', nina.did)
      .executeTakeFirst()
    expect(profile?.displayName).toBe('Nina')
    const likes = await db
      .selectFrom('postAgg')
      .select('likeCount')
      .where(
        'uri',
        'in',
        carolPosts.slice(0, 4).map((p) => p.uri),
      )
      .execute()
    expect(likes.map((l) => l.likeCount)).toEqual([1, 1, 1, 1])
    const jobs = await db
      .selectFrom('backfillJob')
      .select(['did', 'reason', 'state'])
      .orderBy('did')
      .execute()
    expect(jobs.map((j) => j.did).sort()).toEqual([nina.did, bob.did, carol.did, dave.did].sort())
    expect(jobs.every((j) => j.state === 'done')).toBe(true)
    expect(jobs.find((j) => j.did === nina.did)?.reason).toBe('onboard')
  })
})
