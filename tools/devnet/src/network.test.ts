import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { Jetstream } from '@skyware/jetstream'
import WebSocket from 'ws'
import type { JetstreamCommitEvent } from '@sundial/jetstream-server'
import { startDevNetwork } from './network.ts'
import type { DevNetwork } from './network.ts'

/** Collects the post events a real Jetstream client receives from the network's Jetstream server. */
async function watchPosts(net: DevNetwork): Promise<{ posts: JetstreamCommitEvent[]; stop(): void }> {
  const client = new Jetstream({
    ws: WebSocket,
    endpoint: net.jetstream.subscribeUrl,
    wantedCollections: ['app.bsky.feed.post'],
  })
  const posts: JetstreamCommitEvent[] = []
  client.on('commit', (event) => posts.push(event as unknown as JetstreamCommitEvent))
  const opened = new Promise<void>((resolve) => client.on('open', () => resolve()))
  client.start()
  await opened
  return { posts, stop: () => client.close() }
}

async function postAndSee(net: DevNetwork) {
  const watcher = await watchPosts(net)
  try {
    const alice = await net.createUser('alice')
    const bob = await net.createUser('bob')
    expect(alice.handle).toBe('alice.test')
    expect(bob.did).toMatch(/^did:plc:/)
    const { data } = await alice.agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'hello from alice', createdAt: new Date().toISOString() },
    })
    await net.sync()
    // Emitted by now; give the client's socket the moment it needs to read it.
    const fromAlice = () => watcher.posts.filter((e) => e.did === alice.did)
    await expect.poll(() => fromAlice().length).toBe(1)
    const seen = fromAlice()
    expect(seen[0].commit).toMatchObject({
      operation: 'create',
      cid: data.cid,
      record: { text: 'hello from alice' },
    })
    return { alice, bob, postUri: data.uri }
  } finally {
    watcher.stop()
  }
}

describe('startDevNetwork', () => {
  let net: DevNetwork | null = null
  afterEach(async () => {
    await net?.close()
    net = null
  })

  it('runs a PDS whose commits reach the Jetstream server, and cleans up on close', async () => {
    net = await startDevNetwork()
    expect(net.bskyUrl).toBeUndefined()
    await postAndSee(net)
    const dataDir = path.dirname(net.network.pds.ctx.cfg.db.accountDbLoc)
    expect(existsSync(dataDir)).toBe(true)
    await net.close()
    expect(existsSync(dataDir)).toBe(false)
    expect(net.jetstream.clientCount()).toBe(0)
  })

  it('runs the reference AppView, which indexes the same posts', async () => {
    net = await startDevNetwork({ withAppView: true, pgAdminUrl: inject('pgAdminUrl') })
    expect(net.bskyUrl).toMatch(/^http:\/\/localhost:\d+$/)
    expect(net.bskyDid).toMatch(/^did:plc:/)
    const { alice, bob, postUri } = await postAndSee(net)
    const appView = new AtpAgent({ service: net.bskyUrl! })
    const feed = await appView.app.bsky.feed.getAuthorFeed({ actor: alice.did })
    expect(feed.data.feed.map((item) => item.post.uri)).toEqual([postUri])
    // Through the PDS, which proxies app.bsky calls to the AppView.
    const viaPds = await bob.agent.app.bsky.feed.getAuthorFeed({ actor: alice.handle })
    expect(viaPds.data.feed[0].post.record).toMatchObject({ text: 'hello from alice' })
  })
})
