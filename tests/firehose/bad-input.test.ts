import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { pino } from 'pino'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { JetstreamServer, syntheticEvents } from '@sundial/jetstream-server'
import { FirehoseService } from '@sundial/firehose'
import { expectedState } from './model.ts'
import { diffStates, readIndexedState } from './state.ts'
import { counterValues, storedCursor, testConfig, waitFor } from './helpers.ts'

const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'
const CID = 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i'
const CREATED = '2026-01-01T00:00:00.000Z'

/** How the synthetic stream's malformed frames are counted by the firehose. */
const REASON_OF: Record<string, string> = {
  'invalid-json': 'malformed_json',
  'bad-did': 'invalid_did',
  'bad-nsid': 'invalid_nsid',
  'invalid-record': 'invalid_record',
  'null-character': 'nul_character',
  oversized: 'oversized',
}

function commit(timeUs: number, c: Record<string, unknown>, did: unknown = DID): string {
  return JSON.stringify({ did, time_us: timeUs, kind: 'commit', commit: c })
}

function create(rkey: string, collection: string, record: unknown, extra: Record<string, unknown> = {}) {
  return { rev: '3lbadbadbad22', operation: 'create', collection, rkey, record, cid: CID, ...extra }
}

/** Frames every one of which must be skipped, each with the reason it is counted under. */
function handMade(start: number): Array<{ frame: string; reason: string; timeUs: number }> {
  let t = start
  const next = () => (t += 1000)
  const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: CREATED })
  const cases: Array<[string, (time: number) => string]> = [
    ['invalid_rkey', (time) => commit(time, create('../../etc', 'app.bsky.feed.post', post('bad rkey')))],
    [
      'invalid_rkey',
      (time) =>
        commit(time, create('3lnotselfnot2', 'app.bsky.actor.profile', { $type: 'app.bsky.actor.profile' })),
    ],
    [
      'invalid_rev',
      (time) =>
        commit(time, create('3lbadrevbadr2', 'app.bsky.feed.post', post('bad rev'), { rev: 'yesterday' })),
    ],
    [
      'invalid_cid',
      (time) =>
        commit(time, create('3lbadcidbadc2', 'app.bsky.feed.post', post('bad cid'), { cid: 'not-a-cid' })),
    ],
    [
      'invalid_operation',
      (time) =>
        commit(time, create('3lbadopbadop2', 'app.bsky.feed.post', post('bad op'), { operation: 'upsert' })),
    ],
    [
      'invalid_record',
      (time) => commit(time, create('3lwrongtype22', 'app.bsky.feed.like', post('a post in likes'))),
    ],
    [
      'invalid_record',
      (time) => commit(time, create('3lnotobject22', 'app.bsky.feed.post', 'just a string')),
    ],
    [
      'invalid_record',
      (time) =>
        commit(
          time,
          create('3lbadlike2222', 'app.bsky.feed.like', {
            $type: 'app.bsky.feed.like',
            subject: { uri: 'nope', cid: CID },
            createdAt: CREATED,
          }),
        ),
    ],
    // A lone surrogate: valid JSON, valid to the lexicon, refused by Postgres jsonb.
    [
      'invalid_unicode',
      (time) => commit(time, create('3lsurrogate22', 'app.bsky.feed.post', post('half \ud800 pair'))),
    ],
    [
      'nul_character',
      (time) =>
        commit(
          time,
          create('self', 'app.bsky.actor.profile', {
            $type: 'app.bsky.actor.profile',
            displayName: 'nul\u0000name',
          }),
        ),
    ],
    [
      'unwanted_collection',
      (time) =>
        commit(
          time,
          create('3lunwanted222', 'app.bsky.graph.block', {
            $type: 'app.bsky.graph.block',
            subject: DID,
            createdAt: CREATED,
          }),
        ),
    ],
    [
      'invalid_did',
      (time) => commit(time, create('3lnumberdid22', 'app.bsky.feed.post', post('did is a number')), 42),
    ],
    [
      'invalid_handle',
      (time) =>
        JSON.stringify({
          did: DID,
          time_us: time,
          kind: 'identity',
          identity: { did: DID, handle: 'not a handle', seq: 1, time: CREATED },
        }),
    ],
    [
      'invalid_account',
      (time) =>
        JSON.stringify({
          did: DID,
          time_us: time,
          kind: 'account',
          account: { did: DID, active: 'yes', seq: 1, time: CREATED },
        }),
    ],
    ['unknown_kind', (time) => JSON.stringify({ did: DID, time_us: time, kind: 'label', label: {} })],
    [
      'invalid_time',
      (time) =>
        JSON.stringify({
          did: DID,
          time_us: `${time}`,
          kind: 'identity',
          identity: { did: DID, handle: 'x.test', seq: 1, time: CREATED },
        }),
    ],
    // The client drops these without a word (no rkey; a create without record): counted from the raw frames.
    [
      'incomplete_event',
      (time) =>
        commit(time, {
          rev: '3lbadbadbad22',
          operation: 'create',
          collection: 'app.bsky.feed.post',
          record: post('no rkey'),
          cid: CID,
        }),
    ],
    [
      'incomplete_event',
      (time) =>
        commit(time, {
          rev: '3lbadbadbad22',
          operation: 'create',
          collection: 'app.bsky.feed.post',
          rkey: '3lnorecord222',
          cid: CID,
        }),
    ],
    ['malformed_json', () => '{"did":"' + DID + '","time_us":'],
    ['malformed_json', () => 'null'],
    // Valid everywhere except in Postgres (a check constraint this test adds): found by halving the batch.
    ['db_rejected', (time) => commit(time, create('3lpoisonpost2', 'app.bsky.feed.post', post('poison')))],
    // Last frame of the stream: invalid, yet the cursor must end on it.
    [
      'invalid_record',
      (time) =>
        commit(
          time,
          create('3llastframe22', 'app.bsky.feed.post', { $type: 'app.bsky.feed.post', text: 'no date' }),
        ),
    ],
  ]
  return cases.map(([reason, make]) => {
    const timeUs = next()
    return { frame: make(timeUs), reason, timeUs }
  })
}

// A stream salted with malformed frames of every kind the synthetic generator makes, plus hand-made invalid events
// of every other kind: every valid event is indexed, each bad one is counted under its reason and logged once per
// reason, nothing stalls, and the cursor ends at the last frame.
describe('firehose on bad input', () => {
  const options = { seed: 99, count: 12_000, actors: 500, malformedEvery: 40 }
  let server: JetstreamServer
  let database: TestDatabase

  beforeAll(async () => {
    server = await JetstreamServer.create()
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_bad')
    await sql`alter table post add constraint test_poison check (text <> 'poison')`.execute(database.db)
  })

  afterAll(async () => {
    await server?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('indexes every valid event, counts each malformed kind, and the cursor reaches the last frame', async () => {
    const summary = server.loadSynthetic(options)
    const extra = handMade(summary.lastTimeUs)
    for (const { frame, timeUs } of extra) server.emitRaw(frame, { timeUs })
    const expected = expectedState(syntheticEvents(options))
    expect(expected.malformed.size).toBe(6)

    const lines: Array<{ msg: string; reason?: string }> = []
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _encoding, done) {
          for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line))
          done()
        },
      }),
    )
    const cfg = testConfig({ jetstreamUrl: server.subscribeUrl, databaseUrl: database.url })
    const service = await FirehoseService.create(
      { ...cfg, batchSize: 500, queueMax: 2000 },
      { database, logger, serveHttp: false },
    )
    await service.start()
    const lastTimeUs = extra[extra.length - 1].timeUs
    await waitFor(() => service.cursor === lastTimeUs, 'the cursor reaches the last frame')
    const metrics = await service.ctx.registry.metrics()
    await service.destroy()

    expect(await storedCursor(database.db)).toBe(lastTimeUs)
    expect(diffStates(await readIndexedState(database.db), expected.state)).toEqual([])

    const wanted = new Map<string, number>()
    for (const [reason, n] of expected.malformed) wanted.set(REASON_OF[reason], n)
    for (const { reason } of extra) wanted.set(reason, (wanted.get(reason) ?? 0) + 1)
    const counted = counterValues(metrics, 'sundial_firehose_invalid_events_total', 'reason')
    expect(Object.fromEntries([...counted].sort())).toEqual(Object.fromEntries([...wanted].sort()))

    // Logged once per reason, not once per event.
    const logged = lines.filter((l) => l.msg === 'skipped invalid jetstream event').map((l) => l.reason)
    expect([...logged].sort()).toEqual([...wanted.keys()].sort())
  })
})
