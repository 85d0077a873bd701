import { afterEach, describe, expect, it } from 'vitest'
import { JetstreamServer, syntheticEvents } from '@sundial/jetstream-server'
import { createCommit, ALICE, rawSubscription, skyware, until } from './helpers.ts'

const HIGH_WATER_MARK = 256 * 1024

describe('JetstreamServer backpressure', () => {
  const servers: JetstreamServer[] = []
  const cleanups: (() => void)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) cleanup()
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  it('pauses a client that does not read, without slowing others, then resumes it losslessly', async () => {
    const server = await JetstreamServer.create({ highWaterMarkBytes: HIGH_WATER_MARK })
    servers.push(server)
    const stream = { seed: 21, count: 60_000, malformedEvery: 997 }
    const summary = server.loadSynthetic(stream)
    const expectedFrames = [...syntheticEvents(stream)].map((item) =>
      item.kind === 'malformed' ? item.frame : JSON.stringify(item),
    )

    const slow = await rawSubscription(server, `cursor=${summary.firstTimeUs}`)
    cleanups.push(() => slow.ws.terminate())
    slow.ws.pause()
    const fast = await skyware(server, { cursor: summary.firstTimeUs })
    cleanups.push(fast.close)

    // Skyware hands on every frame that parses as JSON, the salted ones with a bad DID, NSID or record included.
    const parseable = expectedFrames.filter((frame) => {
      try {
        JSON.parse(frame)
        return true
      } catch {
        return false
      }
    }).length
    expect(parseable).toBeGreaterThan(summary.events)
    await until(() => fast.received.length === parseable, 'fast client gets every frame', 60_000)
    const stats = server.clientStats()
    const stalled = stats.find((s) => s.waitingForDrain)
    expect(stalled).toBeDefined()
    expect(stalled!.pendingEntries).toBeGreaterThan(20_000)
    const largestFrame = Math.max(...expectedFrames.map((f) => Buffer.byteLength(f)))
    for (const s of stats) expect(s.bufferedBytes).toBeLessThanOrEqual(HIGH_WATER_MARK + largestFrame)

    slow.ws.resume()
    await until(() => slow.frames.length === expectedFrames.length, 'slow client catches up', 60_000)
    await server.waitForIdle()
    expect(slow.frames.length).toBe(expectedFrames.length)
    for (let i = 0; i < expectedFrames.length; i++) {
      if (slow.frames[i] !== expectedFrames[i]) expect.fail(`frame ${i} differs`)
    }
  })

  it('disconnects a client that falls behind the retained window; it can resume from the oldest event', async () => {
    const server = await JetstreamServer.create({ retention: { maxEvents: 5_000 } })
    servers.push(server)
    const behind = await rawSubscription(server)
    cleanups.push(() => behind.ws.terminate())
    // Emitted in one tick: the log evicts the head before the client's first turn to read it.
    const times = Array.from({ length: 20_000 }, () => server.emit(createCommit(ALICE, 'app.bsky.feed.like')))
    const { code, reason } = await behind.closed
    expect(code).toBe(1008)
    expect(reason).toContain('too slow')
    expect(server.retainedCount()).toBe(5_000)

    const resumed = await skyware(server, { cursor: times[0] })
    cleanups.push(resumed.close)
    await until(() => resumed.received.length === 5_000, 'oldest retained events')
    expect(resumed.received[0].time_us).toBe(times[15_000])
  })
})
