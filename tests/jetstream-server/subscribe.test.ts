import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { JetstreamServer } from '@sundial/jetstream-server'
import type { JetstreamEvent } from '@sundial/jetstream-server'
import {
  accountEvent,
  ALICE,
  BOB,
  createCommit,
  flush,
  identityEvent,
  rawSubscription,
  skyware,
  until,
} from './helpers.ts'

const collectionOf = (event: JetstreamEvent) =>
  event.kind === 'commit' ? event.commit.collection : event.kind

describe('JetstreamServer with @skyware/jetstream', () => {
  let server: JetstreamServer
  const cleanups: (() => void)[] = []

  beforeEach(async () => {
    server = await JetstreamServer.create()
  })

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) cleanup()
    await server.close()
  })

  it('sends the exact Jetstream wire format', async () => {
    const raw = await rawSubscription(server)
    cleanups.push(() => raw.ws.close())
    const t1 = server.emit({
      ...createCommit(ALICE, 'app.bsky.feed.post', 'hello'),
      time_us: 1_700_000_000_000_001,
    })
    const t2 = server.emit({
      did: ALICE,
      kind: 'commit',
      commit: {
        rev: '3lzzzzzzzzz22',
        operation: 'delete',
        collection: 'app.bsky.feed.post',
        rkey: '3lzzzzzzzzz33',
      },
    })
    server.emit(identityEvent(ALICE, 'alice.test'))
    server.emit(accountEvent(ALICE, false))
    await until(() => raw.frames.length === 4, 'four frames')
    expect(t1).toBe(1_700_000_000_000_001)
    expect(t2).toBeGreaterThan(t1)
    const [post, del, identity, account] = raw.frames.map((f) => JSON.parse(f))
    expect(Object.keys(post)).toEqual(['did', 'time_us', 'kind', 'commit'])
    expect(Object.keys(post.commit)).toEqual(['rev', 'operation', 'collection', 'rkey', 'record', 'cid'])
    expect(post.commit.record).toEqual({
      $type: 'app.bsky.feed.post',
      createdAt: '2026-01-01T00:00:00.000Z',
      text: 'hello',
    })
    expect(Object.keys(del.commit)).toEqual(['rev', 'operation', 'collection', 'rkey'])
    expect(identity).toEqual({
      did: ALICE,
      time_us: identity.time_us,
      kind: 'identity',
      identity: { did: ALICE, handle: 'alice.test', seq: 1, time: '2026-01-01T00:00:00.000Z' },
    })
    expect(Object.keys(account.account)).toEqual(['active', 'did', 'seq', 'status', 'time'])
    expect(() => server.emit({ ...identityEvent(ALICE, 'a.test'), time_us: t2 })).toThrow(RangeError)
  })

  it('filters by collection, exact and prefix.*, while identity and account events bypass it', async () => {
    const sub = await skyware(server, { wantedCollections: ['app.bsky.feed.post', 'app.bsky.graph.*'] })
    cleanups.push(sub.close)
    for (const collection of [
      'app.bsky.feed.like',
      'app.bsky.feed.post',
      'app.bsky.graph.follow',
      'app.bsky.graph.block',
    ]) {
      server.emit(createCommit(ALICE, collection))
    }
    server.emit(identityEvent(ALICE, 'alice.test'))
    server.emit(accountEvent(BOB, true))
    server.emit(createCommit(BOB, 'app.bsky.feed.repost'))
    server.emit(createCommit(BOB, 'app.bsky.graph.listitem'))
    await flush(server, sub)
    expect(sub.received.map(collectionOf)).toEqual([
      'app.bsky.feed.post',
      'app.bsky.graph.follow',
      'app.bsky.graph.block',
      'identity',
      'account',
      'app.bsky.graph.listitem',
    ])
  })

  it('filters every kind of event by wantedDids', async () => {
    const sub = await skyware(server, { wantedDids: [BOB] })
    cleanups.push(sub.close)
    server.emit(createCommit(ALICE, 'app.bsky.feed.post'))
    server.emit(identityEvent(ALICE, 'alice.test'))
    server.emit(createCommit(BOB, 'app.bsky.feed.like'))
    server.emit(identityEvent(BOB, 'bob.test'))
    server.emit(accountEvent(ALICE, false))
    server.emit(accountEvent(BOB, false))
    await flush(server, sub)
    expect(sub.received.map((e) => [e.did, collectionOf(e)])).toEqual([
      [BOB, 'app.bsky.feed.like'],
      [BOB, 'identity'],
      [BOB, 'account'],
    ])
  })

  it('replays from a cursor inclusively and continues live with no gap and no duplicate', async () => {
    const times: number[] = []
    for (let i = 0; i < 20_000; i++)
      times.push(server.emit(createCommit(i % 2 ? ALICE : BOB, 'app.bsky.feed.like')))
    const cursor = times[5_000]
    const sub = await skyware(server, { cursor })
    cleanups.push(sub.close)
    // Live events arrive while the replay is still running.
    for (let i = 0; i < 20_000; i++) {
      times.push(server.emit(createCommit(ALICE, 'app.bsky.feed.post')))
      if (i % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    const expected = times.slice(5_000)
    await flush(server, sub, 60_000)
    expect(sub.received.map((e) => e.time_us)).toEqual(expected)
    expect(sub.client.cursor).toBe(times[times.length - 1])
  })

  it('starts live without a cursor, and at the oldest retained event for a cursor before the window', async () => {
    const small = await JetstreamServer.create({ retention: { maxEvents: 100 } })
    try {
      const times = Array.from({ length: 300 }, () => small.emit(createCommit(ALICE, 'app.bsky.feed.like')))
      const live = await skyware(small)
      const old = await skyware(small, { cursor: 1 })
      cleanups.push(live.close, old.close)
      const next = small.emit(createCommit(ALICE, 'app.bsky.feed.like'))
      await until(() => live.received.length === 1 && old.received.length === 101, 'live and replayed events')
      expect(live.received[0].time_us).toBe(next)
      expect(old.received.map((e) => e.time_us)).toEqual([...times.slice(200), next])
    } finally {
      await small.close()
    }
  })

  it('replaces filters live on options_update', async () => {
    const sub = await skyware(server, { wantedCollections: ['app.bsky.feed.post'] })
    cleanups.push(sub.close)
    server.emit(createCommit(ALICE, 'app.bsky.feed.post', 'before'))
    await until(() => sub.received.length === 1, 'first post')
    sub.client.updateOptions({ wantedCollections: ['app.bsky.feed.like'], wantedDids: [BOB] })
    // The update travels over the socket: probe until the new filter is in force.
    await until(() => {
      server.emit(createCommit(BOB, 'app.bsky.feed.like', 'probe'))
      return sub.received.some((e) => collectionOf(e) === 'app.bsky.feed.like')
    }, 'options_update applied')
    await flush(server, sub)
    const before = sub.received.length
    server.emit(createCommit(BOB, 'app.bsky.feed.post', 'filtered out'))
    server.emit(createCommit(ALICE, 'app.bsky.feed.like', 'wrong did'))
    server.emit(createCommit(BOB, 'app.bsky.feed.like', 'after'))
    await flush(server, sub)
    const after = sub.received.slice(before)
    expect(after).toHaveLength(1)
    expect(after[0].did).toBe(BOB)
    expect(
      after[0].kind === 'commit' && after[0].commit.operation === 'create' && after[0].commit.record.text,
    ).toBe('after')
  })

  it('drops a client whose options_update is invalid, and ignores unknown message types', async () => {
    const raw = await rawSubscription(server)
    raw.ws.send(JSON.stringify({ type: 'something_else', payload: {} }))
    raw.ws.send('not json')
    server.emit(createCommit(ALICE, 'app.bsky.feed.post'))
    await until(() => raw.frames.length === 1, 'still connected')
    raw.ws.send(JSON.stringify({ type: 'options_update', payload: { wantedCollections: ['not an nsid'] } }))
    const { code, reason } = await raw.closed
    expect(code).toBe(1008)
    expect(reason).toContain('invalid collection')
  })

  it('skips frames above maxMessageSizeBytes', async () => {
    const sub = await skyware(server, { maxMessageSizeBytes: 1_000 })
    cleanups.push(sub.close)
    server.emit(createCommit(ALICE, 'app.bsky.feed.post', 'x'.repeat(2_000)))
    server.emit(createCommit(ALICE, 'app.bsky.feed.post', 'small'))
    await flush(server, sub)
    expect(sub.received).toHaveLength(1)
  })

  it('holds events back until the first options_update with requireHello=true', async () => {
    server.emit(createCommit(ALICE, 'app.bsky.feed.post'))
    server.emit(createCommit(ALICE, 'app.bsky.feed.like'))
    const raw = await rawSubscription(server, 'cursor=0&requireHello=true')
    cleanups.push(() => raw.ws.close())
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(raw.frames).toHaveLength(0)
    raw.ws.send(
      JSON.stringify({ type: 'options_update', payload: { wantedCollections: ['app.bsky.feed.like'] } }),
    )
    await until(() => raw.frames.length === 1, 'the like')
    expect(JSON.parse(raw.frames[0]).commit.collection).toBe('app.bsky.feed.like')
  })

  it('sends raw frames unfiltered; retains them only when given a time_us', async () => {
    const early = await rawSubscription(server, `wantedDids=${BOB}`)
    cleanups.push(() => early.ws.close())
    server.emit(createCommit(ALICE, 'app.bsky.feed.post'))
    server.emitRaw('{"not":"retained"')
    const retainedAt = server.lastTimeUs() + 10
    server.emitRaw('{"retained":true}', { timeUs: retainedAt })
    await until(() => early.frames.length === 2, 'raw frames to the early client')
    expect(early.frames).toEqual(['{"not":"retained"', '{"retained":true}'])
    const late = await rawSubscription(server, 'cursor=0')
    cleanups.push(() => late.ws.close())
    await until(() => late.frames.length === 2, 'replay to the late client')
    expect(JSON.parse(late.frames[0]).did).toBe(ALICE)
    expect(late.frames[1]).toBe('{"retained":true}')
  })

  it('rejects bad parameters before upgrading', async () => {
    for (const query of [
      'wantedCollections=not%20an%20nsid',
      'wantedDids=alice',
      'cursor=abc',
      'compress=true',
    ]) {
      expect(await upgradeStatus(`${server.subscribeUrl}?${query}`), query).toBe(400)
    }
    expect(await upgradeStatus(server.subscribeUrl.replace('/subscribe', '/nope'))).toBe(404)
    expect(await upgradeStatus(`${server.subscribeUrl}?wantedCollections=app.bsky.*&cursor=12`)).toBe(101)
  })

  it('closes clients with 1001 and releases the port on close()', async () => {
    const raw = await rawSubscription(server)
    const port = server.port
    await server.close()
    expect((await raw.closed).code).toBe(1001)
    const again = await JetstreamServer.create({ port })
    await again.close()
  })
})

/** The HTTP status the server answers a WebSocket handshake with (101 when it upgrades). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      res.resume()
      ws.terminate()
    })
    ws.on('open', () => {
      resolve(101)
      ws.close()
    })
    ws.on('error', (err) => {
      if (!err.message.includes('closed before the connection')) reject(err)
    })
  })
}
