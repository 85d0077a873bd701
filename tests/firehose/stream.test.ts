import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { JetstreamServer, syntheticEvents } from '@sundial/jetstream-server'
import { FirehoseService } from '@sundial/firehose'
import { expectedState } from './model.ts'
import { diffStates, readIndexedState } from './state.ts'
import { counterValues, storedCursor, testConfig, waitFor } from './helpers.ts'

// A realistic synthetic stream (likes, posts with replies/quotes/embeds, reposts, follows, deletes, profile
// updates, handle changes, deactivations) replayed from the server's log into a fresh database: the tables equal
// what applying the same events in order gives, and so does replaying the whole stream a second time.
describe('firehose on a synthetic stream', () => {
  const options = { seed: 7, count: 20_000, actors: 400 }
  let server: JetstreamServer
  let database: TestDatabase

  beforeAll(async () => {
    server = await JetstreamServer.create()
    server.loadSynthetic(options)
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_stream')
  })

  afterAll(async () => {
    await server?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('indexes every event exactly once, and a full replay changes nothing', async () => {
    const expected = expectedState(syntheticEvents(options))
    for (const table of [
      'posts',
      'likes',
      'reposts',
      'follows',
      'profiles',
      'tombstones',
      'postAgg',
    ] as const) {
      expect(expected.state[table].size, table).toBeGreaterThan(100)
    }
    const cfg = testConfig({ jetstreamUrl: server.subscribeUrl, databaseUrl: database.url })

    const first = await FirehoseService.create(cfg, { database, serveHttp: false })
    await first.start()
    await waitFor(() => first.cursor === expected.lastTimeUs, 'first pass reaches the last event')
    const metrics = await first.ctx.registry.metrics()
    await first.destroy()

    expect(diffStates(await readIndexedState(database.db), expected.state)).toEqual([])
    expect(await storedCursor(database.db)).toBe(expected.lastTimeUs)
    const byCollection = counterValues(metrics, 'sundial_firehose_events_total', 'collection')
    const committed = [...byCollection.values()].reduce((a, b) => a + b, 0)
    expect(committed).toBe(expected.validEvents)
    // A clean stream: nothing counted as invalid (the raw-frame bookkeeping sees every frame become an event).
    expect(counterValues(metrics, 'sundial_firehose_invalid_events_total', 'reason')).toEqual(new Map())

    // Forget the cursor: the whole stream comes again and every write is a replay.
    await database.db.deleteFrom('cursor').execute()
    const second = await FirehoseService.create(cfg, { database, serveHttp: false })
    await second.start()
    await waitFor(() => second.cursor === expected.lastTimeUs, 'second pass reaches the last event')
    await second.destroy()
    expect(diffStates(await readIndexedState(database.db), expected.state)).toEqual([])
  })
})
