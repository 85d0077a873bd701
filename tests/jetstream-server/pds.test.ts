import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevNetwork } from '@sundial/devnet'
import type { DevNetwork, DevUser } from '@sundial/devnet'
import { JetstreamServer } from '@sundial/jetstream-server'
import type { JetstreamCommitEvent, JetstreamEvent } from '@sundial/jetstream-server'
import { flush, rawSubscription, until } from './helpers.ts'
import type { RawSubscription } from './helpers.ts'

/** A 1×1 PNG, so the PDS accepts it as an image blob. */
const PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC',
  'base64',
)

describe('JetstreamServer relaying a real PDS', () => {
  let devnet: DevNetwork
  let alice: DevUser
  let bob: DevUser
  let live: RawSubscription
  const warnings: { fields: object; message: string }[] = []

  beforeAll(async () => {
    devnet = await startDevNetwork({
      jetstream: {
        logger: { info: () => undefined, warn: (fields, message) => warnings.push({ fields, message }) },
      },
    })
    live = await rawSubscription(devnet.jetstream)
    alice = await devnet.createUser('alice')
    bob = await devnet.createUser('bob')
  })

  afterAll(async () => {
    live?.ws.close()
    await devnet?.close()
    // Every upstream frame was translated: nothing was skipped with a warning.
    expect(warnings).toEqual([])
  })

  /** Events for `did` received by the live client since `from`, parsed, after the PDS's commits were relayed. */
  async function eventsSince(from: number, did: string): Promise<JetstreamEvent[]> {
    await devnet.sync()
    await flush(devnet.jetstream, live)
    return live.frames
      .slice(from)
      .map((frame) => JSON.parse(frame) as JetstreamEvent)
      .filter((event) => event.did === did)
  }

  async function expectMatchesRepo(event: JetstreamEvent, user: DevUser, rev: string) {
    expect(event.kind).toBe('commit')
    const { commit } = event as JetstreamCommitEvent
    expect(commit.rev).toBe(rev)
    if (commit.operation === 'delete') throw new Error('expected a write')
    const stored = await getRecordJson(user.did, commit.collection, commit.rkey)
    expect(commit.cid).toBe(stored.cid)
    expect(commit.record).toEqual(stored.value)
  }

  /** `com.atproto.repo.getRecord` as JSON on the wire (the agent would turn links and blobs into objects). */
  async function getRecordJson(repo: string, collection: string, rkey: string) {
    const url = new URL('/xrpc/com.atproto.repo.getRecord', devnet.pdsUrl)
    url.search = new URLSearchParams({ repo, collection, rkey }).toString()
    const response = await fetch(url)
    expect(response.status).toBe(200)
    return (await response.json()) as { cid: string; value: unknown }
  }

  it('emits account and identity events for a new account', async () => {
    const from = live.frames.length
    const carol = await devnet.createUser('carol')
    const events = await eventsSince(from, carol.did)
    const identity = events.find((e) => e.kind === 'identity')
    const account = events.find((e) => e.kind === 'account')
    expect(identity).toMatchObject({ kind: 'identity', identity: { did: carol.did, handle: 'carol.test' } })
    expect(account).toMatchObject({ kind: 'account', account: { did: carol.did, active: true } })
    expect(Object.keys(account!.account)).toEqual(['active', 'did', 'seq', 'time'])
  })

  it('relays posts with images, facets and replies exactly as the repo holds them', async () => {
    const from = live.frames.length
    const { data: blob } = await alice.agent.uploadBlob(PIXEL_PNG, { encoding: 'image/png' })
    const created = await alice.agent.post({
      text: 'hello @bob.test 🎉 https://example.com',
      facets: [
        {
          index: { byteStart: 6, byteEnd: 15 },
          features: [{ $type: 'app.bsky.richtext.facet#mention', did: bob.did }],
        },
      ],
      langs: ['en'],
      embed: {
        $type: 'app.bsky.embed.images',
        images: [{ alt: 'a pixel', image: blob.blob, aspectRatio: { width: 1, height: 1 } }],
      },
    })
    const reply = await bob.agent.post({
      text: 'hi alice',
      reply: { root: created, parent: created },
    })
    const [post] = await eventsSince(from, alice.did)
    const { data: postCommit } = await alice.agent.com.atproto.sync.getLatestCommit({ did: alice.did })
    await expectMatchesRepo(post, alice, postCommit.rev)
    const record = (post as JetstreamCommitEvent & { commit: { record: Record<string, unknown> } }).commit
      .record
    const image = (record.embed as { images: { image: unknown }[] }).images[0].image
    expect(JSON.stringify(image)).toBe(
      JSON.stringify({
        $type: 'blob',
        ref: { $link: blob.blob.ref.toString() },
        mimeType: 'image/png',
        size: PIXEL_PNG.length,
      }),
    )
    const [replyEvent] = await eventsSince(from, bob.did)
    const { data: replyCommit } = await bob.agent.com.atproto.sync.getLatestCommit({ did: bob.did })
    await expectMatchesRepo(replyEvent, bob, replyCommit.rev)
    expect((replyEvent as JetstreamCommitEvent).commit).toMatchObject({
      operation: 'create',
      rkey: reply.uri.split('/').pop(),
    })
  })

  it('relays likes, follows, profile create and update, and deletes', async () => {
    const post = await alice.agent.post({ text: 'like me' })
    let from = live.frames.length
    const like = await bob.agent.like(post.uri, post.cid)
    const follow = await bob.agent.follow(alice.did)
    await bob.agent.upsertProfile(() => ({ displayName: 'Bob', description: 'first' }))
    const afterCreate = await eventsSince(from, bob.did)
    expect(
      afterCreate.map((e) => e.kind === 'commit' && `${e.commit.collection} ${e.commit.operation}`),
    ).toEqual(['app.bsky.feed.like create', 'app.bsky.graph.follow create', 'app.bsky.actor.profile create'])
    for (const event of afterCreate) {
      const commit = (event as JetstreamCommitEvent).commit
      const { data } = await bob.agent.com.atproto.repo.getRecord({
        repo: bob.did,
        collection: commit.collection,
        rkey: commit.rkey,
      })
      expect(commit.operation === 'delete' ? null : commit.record).toEqual(data.value)
      expect(commit.operation === 'delete' ? null : commit.cid).toBe(data.cid)
    }
    expect((afterCreate[0] as JetstreamCommitEvent).commit.rkey).toBe(like.uri.split('/').pop())
    expect((afterCreate[1] as JetstreamCommitEvent).commit.rkey).toBe(follow.uri.split('/').pop())
    expect((afterCreate[2] as JetstreamCommitEvent).commit.rkey).toBe('self')

    from = live.frames.length
    await bob.agent.upsertProfile((existing) => ({ ...existing, description: 'second' }))
    await bob.agent.deleteLike(like.uri)
    await bob.agent.deleteFollow(follow.uri)
    const changes = await eventsSince(from, bob.did)
    const [update, unlike, unfollow] = changes as JetstreamCommitEvent[]
    expect(update.commit).toMatchObject({
      operation: 'update',
      collection: 'app.bsky.actor.profile',
      rkey: 'self',
    })
    const { data: profile } = await bob.agent.com.atproto.repo.getRecord({
      repo: bob.did,
      collection: 'app.bsky.actor.profile',
      rkey: 'self',
    })
    expect(update.commit.operation === 'update' && update.commit.record).toEqual(profile.value)
    expect(unlike.commit).toEqual({
      rev: unlike.commit.rev,
      operation: 'delete',
      collection: 'app.bsky.feed.like',
      rkey: like.uri.split('/').pop(),
    })
    expect(Object.keys(unfollow.commit)).toEqual(['rev', 'operation', 'collection', 'rkey'])
    expect(unfollow.commit.collection).toBe('app.bsky.graph.follow')
  })

  it('renders bytes and links of custom records as $bytes and $link', async () => {
    const from = live.frames.length
    const record = {
      $type: 'com.example.sundial.blob',
      data: { $bytes: 'AQIDBAU' },
      link: { $link: 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i' },
    }
    const { data } = await alice.agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: 'com.example.sundial.blob',
      record,
    })
    const events = await eventsSince(from, alice.did)
    expect(events, JSON.stringify(live.frames.slice(from))).toHaveLength(1)
    await expectMatchesRepo(events[0], alice, data.commit!.rev)
    const event = events[0]
    expect((event as JetstreamCommitEvent).commit).toMatchObject({ record })
  })

  it('relays handle changes and account deactivation', async () => {
    const from = live.frames.length
    await alice.agent.com.atproto.identity.updateHandle({ handle: 'alice2.test' })
    await alice.agent.com.atproto.server.deactivateAccount({})
    await alice.agent.com.atproto.server.activateAccount()
    const events = await eventsSince(from, alice.did)
    const identity = events.find((e) => e.kind === 'identity')
    expect(identity).toMatchObject({ identity: { did: alice.did, handle: 'alice2.test' } })
    expect(Object.keys(identity!.identity)).toEqual(['did', 'handle', 'seq', 'time'])
    const accounts = events.filter((e) => e.kind === 'account').map((e) => e.kind === 'account' && e.account)
    expect(accounts).toContainEqual(
      expect.objectContaining({ active: false, status: 'deactivated', did: alice.did }),
    )
    expect(accounts[accounts.length - 1]).toMatchObject({ active: true })
  })

  it('resumes from its upstream cursor after the PDS connection drops, without gaps or duplicates', async () => {
    const proxy = await TcpProxy.start(new URL(devnet.pdsUrl).port)
    const relay = await JetstreamServer.create()
    try {
      await relay.attachPds(proxy.url)
      const waitForPds = async () => {
        const seq = await devnet.network.pds.ctx.sequencer.curr()
        await relay.waitForUpstreamSeq(proxy.url, seq!)
      }
      await waitForPds()
      const texts: string[] = []
      for (let round = 0; round < 3; round++) {
        // Posts written while the relay is cut off reach it through its cursor once it reconnects.
        proxy.cutAll()
        for (let i = 0; i < 5; i++) {
          const text = `round ${round} post ${i}`
          texts.push(text)
          await alice.agent.post({ text })
        }
        await until(() => proxy.connections === round + 2, `reconnection ${round + 1}`)
      }
      await waitForPds()
      const replay = await rawSubscription(
        relay,
        `cursor=0&wantedDids=${alice.did}&wantedCollections=app.bsky.feed.post`,
      )
      try {
        await flush(relay, replay)
        const seen = replay.frames
          .map((frame) => JSON.parse(frame) as JetstreamEvent)
          .flatMap((e) =>
            e.kind === 'commit' && e.commit.operation === 'create' ? [String(e.commit.record.text)] : [],
          )
          .filter((text) => text.startsWith('round '))
        expect(seen).toEqual(texts)
        expect(proxy.connections).toBe(4)
      } finally {
        replay.ws.close()
      }
    } finally {
      await relay.close()
      await proxy.close()
    }
  })
})

/** A real TCP proxy in front of the PDS whose connections a test can cut. */
class TcpProxy {
  connections = 0
  private readonly sockets = new Set<net.Socket>()

  private constructor(private readonly server: net.Server) {}

  static async start(targetPort: string): Promise<TcpProxy> {
    const server = net.createServer()
    const proxy = new TcpProxy(server)
    server.on('connection', (client) => {
      proxy.connections++
      const upstream = net.connect(Number(targetPort), '127.0.0.1')
      for (const socket of [client, upstream]) {
        proxy.sockets.add(socket)
        socket.on('close', () => proxy.sockets.delete(socket))
        socket.on('error', () => undefined)
      }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  cutAll(): void {
    for (const socket of this.sockets) socket.destroy()
  }

  async close(): Promise<void> {
    this.cutAll()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
