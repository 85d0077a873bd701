import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { registerLocalUser } from '@sundial/common'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { JetstreamServer } from '@sundial/jetstream-server'
import type { JetstreamEventInput } from '@sundial/jetstream-server'
import { FirehoseService } from '@sundial/firehose'
import { testConfig, waitFor } from './helpers.ts'

const ALICE = 'did:plc:alicealicealicealicealic'
const BOB = 'did:plc:bobbobbobbobbobbobbobbob'
const VIEWER = 'did:plc:viewerviewerviewerviewer'
const CID = 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i'
const CID2 = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'
const UNSEEN = { uri: 'at://did:plc:unseenunseenunseenunseen/app.bsky.feed.post/3kaaaaaaaaaa2', cid: CID }

const SORTABLE = '234567abcdefghijklmnopqrstuvwxyz'
let revCounter = 0
/** Increasing TIDs (base32-sortable), as a repo's revisions are. */
function nextRev(): string {
  let n = ++revCounter
  let tail = ''
  for (let i = 0; i < 11; i++) {
    tail = SORTABLE[n % 32] + tail
    n = Math.floor(n / 32)
  }
  return `3m${tail}`
}

function write(
  did: string,
  collection: string,
  rkey: string,
  record: Record<string, unknown>,
  operation: 'create' | 'update' = 'create',
  rev = nextRev(),
  cid = CID,
): JetstreamEventInput {
  return {
    did,
    kind: 'commit',
    commit: { rev, operation, collection, rkey, record: { $type: collection, ...record }, cid },
  }
}

function remove(did: string, collection: string, rkey: string, rev = nextRev()): JetstreamEventInput {
  return { did, kind: 'commit', commit: { rev, operation: 'delete', collection, rkey } }
}

const post = (text: string, createdAt: string, extra: Record<string, unknown> = {}) => ({
  text,
  createdAt,
  ...extra,
})
const uri = (did: string, collection: string, rkey: string) => `at://${did}/${collection}/${rkey}`

// Record semantics on hand-made events: createdAt normalised as the reference AppView does, edits replacing the
// stored version (counts follow), deletes that a replayed create cannot undo, a profile deleted and made again,
// counts for posts we never saw, and timelines losing reposts of a deleted post.
describe('firehose record semantics', () => {
  let server: JetstreamServer
  let database: TestDatabase
  let service: FirehoseService

  beforeAll(async () => {
    server = await JetstreamServer.create()
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_records')
    await registerLocalUser(database.db, VIEWER)
    service = await FirehoseService.create(
      { ...testConfig({ jetstreamUrl: server.subscribeUrl, databaseUrl: database.url }), batchMs: 20 },
      { database, serveHttp: false },
    )
    await service.start()
  })

  afterAll(async () => {
    await service?.destroy()
    await server?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  async function emitAll(events: JetstreamEventInput[]): Promise<number[]> {
    const times = events.map((e) => server.emit(e))
    const last = times[times.length - 1]
    await waitFor(() => (service.cursor ?? 0) >= last, 'the firehose commits the events', 20_000)
    return times
  }

  async function postRow(u: string) {
    return database.db.selectFrom('post').selectAll().where('uri', '=', u).executeTakeFirst()
  }

  it('normalises createdAt and sorts by min(createdAt, indexedAt)', async () => {
    const P = 'app.bsky.feed.post'
    const [, , , farTime] = await emitAll([
      write(ALICE, P, '3lnotimezone2', post('no timezone', '2025-06-01T12:00:00')),
      write(ALICE, P, '3loffsettime2', post('with offset', '2025-06-01T12:00:00+02:00')),
      write(ALICE, P, '3lyearzero222', post('year zero', '0000-01-01T00:00:00Z')),
      write(ALICE, P, '3lfarfuture22', post('from the future', '2999-01-01T00:00:00.000Z')),
    ])
    expect((await postRow(uri(ALICE, P, '3lnotimezone2')))!.createdAt.toISOString()).toBe(
      '2025-06-01T12:00:00.000Z',
    )
    const offset = (await postRow(uri(ALICE, P, '3loffsettime2')))!
    expect(offset.createdAt.toISOString()).toBe('2025-06-01T10:00:00.000Z')
    expect(offset.sortAt.toISOString()).toBe('2025-06-01T10:00:00.000Z')
    const zero = (await postRow(uri(ALICE, P, '3lyearzero222')))!
    expect(zero.createdAt.toISOString()).toBe('1970-01-01T00:00:00.000Z')
    expect(zero.sortAt.toISOString()).toBe('1970-01-01T00:00:00.000Z')
    const far = (await postRow(uri(ALICE, P, '3lfarfuture22')))!
    expect(far.createdAt.toISOString()).toBe('2999-01-01T00:00:00.000Z')
    expect(far.sortAt.getTime()).toBe(Math.floor(farTime / 1000))
    expect(far.indexedAt.getTime()).toBe(Math.floor(farTime / 1000))
    const item = await database.db
      .selectFrom('feedItem')
      .selectAll()
      .where('uri', '=', far.uri)
      .executeTakeFirst()
    expect(item!.sortAt.getTime()).toBe(far.sortAt.getTime())
  })

  it('caps indexedAt at the present for an event stamped in the future', async () => {
    const future = Date.now() * 1000 + 3_600_000_000
    server.emit({
      ...write(BOB, 'app.bsky.feed.post', '3lstampedlate', post('late', '2026-01-01T00:00:00.000Z')),
      time_us: future,
    })
    await waitFor(() => (service.cursor ?? 0) >= future, 'committed', 20_000)
    const row = (await postRow(uri(BOB, 'app.bsky.feed.post', '3lstampedlate')))!
    expect(row.indexedAt.getTime()).toBeLessThanOrEqual(Date.now())
  })

  it('replaces an edited post, moving its counts', async () => {
    const P = 'app.bsky.feed.post'
    const parent = { uri: uri(BOB, P, '3lparent22222'), cid: CID }
    await emitAll([
      write(BOB, P, '3lparent22222', post('parent', '2026-01-01T00:00:00.000Z')),
      write(
        ALICE,
        P,
        '3leditedpost2',
        post('reply', '2026-01-01T00:00:00.000Z', { reply: { root: parent, parent } }),
      ),
    ])
    const agg = () =>
      database.db.selectFrom('postAgg').selectAll().where('uri', '=', parent.uri).executeTakeFirst()
    expect((await agg())!.replyCount).toBe(1)
    await emitAll([
      write(
        ALICE,
        P,
        '3leditedpost2',
        post('not a reply any more', '2026-01-01T00:00:00.000Z'),
        'update',
        nextRev(),
        CID2,
      ),
    ])
    const edited = (await postRow(uri(ALICE, P, '3leditedpost2')))!
    expect(edited.text).toBe('not a reply any more')
    expect(edited.cid).toBe(CID2)
    expect(edited.replyParent).toBeNull()
    expect((await agg())!.replyCount).toBe(0)
  })

  it('never lets a replayed create undo a delete, and counts only rows that exist', async () => {
    const L = 'app.bsky.feed.like'
    const createRev = nextRev()
    const likeCount = async () =>
      (
        await database.db
          .selectFrom('postAgg')
          .select('likeCount')
          .where('uri', '=', UNSEEN.uri)
          .executeTakeFirst()
      )?.likeCount
    await emitAll([
      write(
        BOB,
        L,
        '3lreplayedlk2',
        { subject: UNSEEN, createdAt: '2026-01-01T00:00:00.000Z' },
        'create',
        createRev,
      ),
    ])
    expect(await likeCount()).toBe(1)
    await emitAll([
      remove(BOB, L, '3lreplayedlk2'),
      // The same create again (as after a rewind): older than the tombstone, so ignored.
      write(
        BOB,
        L,
        '3lreplayedlk2',
        { subject: UNSEEN, createdAt: '2026-01-01T00:00:00.000Z' },
        'create',
        createRev,
      ),
    ])
    expect(
      await database.db
        .selectFrom('like')
        .select('uri')
        .where('uri', '=', uri(BOB, L, '3lreplayedlk2'))
        .execute(),
    ).toEqual([])
    expect(await likeCount()).toBe(0)
    const tomb = await database.db
      .selectFrom('tombstone')
      .selectAll()
      .where('uri', '=', uri(BOB, L, '3lreplayedlk2'))
      .executeTakeFirst()
    expect(tomb).toMatchObject({ did: BOB, collection: L })
    // Deleting what was never stored changes no count and still leaves a tombstone.
    await emitAll([remove(BOB, L, '3lneverseen22')])
    expect(await likeCount()).toBe(0)
    expect(
      await database.db
        .selectFrom('tombstone')
        .select('uri')
        .where('uri', '=', uri(BOB, L, '3lneverseen22'))
        .execute(),
    ).toHaveLength(1)
  })

  it('brings back a profile made again after its deletion (a newer revision)', async () => {
    const A = 'app.bsky.actor.profile'
    await emitAll([write(ALICE, A, 'self', { displayName: 'one' }), remove(ALICE, A, 'self')])
    expect(await database.db.selectFrom('profile').select('did').where('did', '=', ALICE).execute()).toEqual(
      [],
    )
    await emitAll([write(ALICE, A, 'self', { displayName: 'two' })])
    const profile = await database.db
      .selectFrom('profile')
      .selectAll()
      .where('did', '=', ALICE)
      .executeTakeFirst()
    expect(profile!.displayName).toBe('two')
    expect(
      await database.db
        .selectFrom('tombstone')
        .select('uri')
        .where('uri', '=', uri(ALICE, A, 'self'))
        .execute(),
    ).toEqual([])
  })

  it("takes a deleted post's reposts out of timelines", async () => {
    const P = 'app.bsky.feed.post'
    const target = { uri: uri(ALICE, P, '3lrepostedpst'), cid: CID }
    await emitAll([
      write(VIEWER, 'app.bsky.graph.follow', '3lviewerfolow', {
        subject: BOB,
        createdAt: '2026-01-01T00:00:00.000Z',
      }),
      write(ALICE, P, '3lrepostedpst', post('reposted', '2026-01-01T00:00:00.000Z')),
      write(BOB, 'app.bsky.feed.repost', '3lbobreposts2', {
        subject: target,
        createdAt: '2026-01-01T00:00:00.000Z',
      }),
    ])
    const timeline = () =>
      database.db
        .selectFrom('timelineItem')
        .select(['uri', 'postUri'])
        .where('viewerDid', '=', VIEWER)
        .execute()
    expect(await timeline()).toContainEqual({
      uri: uri(BOB, 'app.bsky.feed.repost', '3lbobreposts2'),
      postUri: target.uri,
    })
    await emitAll([remove(ALICE, P, '3lrepostedpst')])
    expect((await timeline()).filter((t) => t.postUri === target.uri)).toEqual([])
  })
})
