import { setTimeout as sleep } from 'node:timers/promises'
import { AppView } from '@sundial/appview'
import { createTestDatabase, dropDatabase, freePort, startDevNetwork } from '@sundial/devnet'
import type { DevNetwork, DevUser, TestDatabase } from '@sundial/devnet'
import { FirehoseService, readConfig as readFirehoseConfig } from '@sundial/firehose'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { appViewConfig } from './harness.ts'

// A real PDS configured with Sundial as its app view: clients talk to their PDS only, and the PDS proxies
// app.bsky reads to Sundial with service tokens it signs.

let net: DevNetwork
let database: TestDatabase
let firehose: FirehoseService
let sundial: AppView
let alice: DevUser, bob: DevUser

beforeAll(async () => {
  const pgAdminUrl = inject('pgAdminUrl')
  const port = await freePort()
  const serviceDid = `did:web:localhost%3A${port}`
  net = await startDevNetwork({
    pdsConfig: { bskyAppViewUrl: `http://localhost:${port}`, bskyAppViewDid: serviceDid },
  })
  database = await createTestDatabase(pgAdminUrl, 'proxy')
  firehose = await FirehoseService.create(
    readFirehoseConfig({
      DATABASE_URL: database.url,
      JETSTREAM_URL: net.jetstream.subscribeUrl,
      FIREHOSE_START_CURSOR: '1',
      FIREHOSE_BATCH_MS: '20',
      PORT: '0',
      LOG_LEVEL: 'silent',
      BACKFILL_ENABLED: 'false',
    }),
    { database, serveHttp: false },
  )
  await firehose.start()
  sundial = await AppView.create(appViewConfig(port, net.plcUrl), { database })
  await sundial.start()
  alice = await net.createUser('alice')
  bob = await net.createUser('bob')
})

afterAll(async () => {
  await sundial?.destroy()
  await firehose?.destroy()
  await net?.close()
  await database?.close()
  if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
})

async function waitForSundial(): Promise<void> {
  await net.sync(60_000)
  const last = net.jetstream.lastTimeUs()
  const deadline = Date.now() + 60_000
  while ((firehose.cursor ?? 0) < last) {
    if (Date.now() > deadline) throw new Error('firehose did not catch up')
    await sleep(50)
  }
}

function requestsServed(metrics: string, method: string): number {
  const pattern = new RegExp(
    `^sundial_appview_requests_total\\{method="${method.replaceAll('.', '\\.')}",status="200"\\} (\\S+)$`,
    'm',
  )
  return Number(pattern.exec(metrics)?.[1] ?? 0)
}

describe('through a PDS proxy', () => {
  it('serves agent.getTimeline() and other app.bsky reads from Sundial', async () => {
    await alice.agent.follow(bob.did)
    await bob.agent.upsertProfile(() => ({ displayName: 'Bob' }))
    const first = await bob.agent.post({
      text: 'hello from bob',
      createdAt: new Date(Date.now() - 60_000).toISOString(),
    })
    const second = await alice.agent.post({ text: 'alice replies', reply: { root: first, parent: first } })
    const repost = await bob.agent.repost(second.uri, second.cid)
    await waitForSundial()

    const before = await (await fetch(`${sundial.url}/metrics`)).text()
    const { data } = await alice.agent.getTimeline({ limit: 10 })
    const after = await (await fetch(`${sundial.url}/metrics`)).text()
    expect(requestsServed(after, 'app.bsky.feed.getTimeline')).toBe(
      requestsServed(before, 'app.bsky.feed.getTimeline') + 1,
    )
    expect(
      data.feed.map((item) => ({
        uri: item.post.uri,
        reason: (item.reason as { uri?: string } | undefined)?.uri,
      })),
    ).toEqual([
      { uri: second.uri, reason: repost.uri },
      { uri: second.uri, reason: undefined },
      { uri: first.uri, reason: undefined },
    ])
    expect(data.feed[2].post.author).toMatchObject({ did: bob.did, handle: bob.handle, displayName: 'Bob' })
    expect(data.feed[1].reply?.parent).toMatchObject({ uri: first.uri })

    // The PDS-proxied token made alice a local user of Sundial.
    const local = await database.db
      .selectFrom('localUser')
      .select('did')
      .where('did', '=', alice.did)
      .execute()
    expect(local).toHaveLength(1)

    const profile = await alice.agent.getProfile({ actor: bob.handle })
    expect(profile.data).toMatchObject({ did: bob.did, displayName: 'Bob', followersCount: 1 })
    expect(profile.data.viewer?.following).toBeDefined()
    const thread = await bob.agent.getPostThread({ uri: first.uri })
    expect(
      (thread.data.thread as { replies?: { post: { uri: string } }[] }).replies?.map((r) => r.post.uri),
    ).toEqual([second.uri])
    const authorFeed = await bob.agent.getAuthorFeed({ actor: alice.did })
    expect(authorFeed.data.feed.map((i) => i.post.uri)).toEqual([second.uri])
  })
})
