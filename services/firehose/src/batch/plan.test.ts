import { describe, expect, it } from 'vitest'
import { decodeEvent } from '../ingest/decode.ts'
import type { IndexEvent } from '../ingest/events.ts'
import { planBatch } from './plan.ts'
import type { ScopeFilter } from './plan.ts'

const ALICE = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'
const BOB = 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb'
const SUBJECT = {
  uri: `at://${BOB}/app.bsky.feed.post/3laaaaaaaaaa2`,
  cid: 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i',
}
const CID = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'

let clock = 1_767_225_600_000_000
function event(body: Record<string, unknown>): IndexEvent {
  const decoded = decodeEvent({ time_us: ++clock, ...body }, 300, { maxRecordBytes: 1 << 20 })
  if ('ok' in decoded) throw new Error(`invalid test event: ${decoded.reason} ${decoded.detail}`)
  return decoded
}
function like(did: string, rkey: string, operation: 'create' | 'update' | 'delete', rev: string): IndexEvent {
  const record = { $type: 'app.bsky.feed.like', subject: SUBJECT, createdAt: '2026-01-01T00:00:00.000Z' }
  return event({
    did,
    kind: 'commit',
    commit:
      operation === 'delete'
        ? { rev, operation, collection: 'app.bsky.feed.like', rkey }
        : { rev, operation, collection: 'app.bsky.feed.like', rkey, record, cid: CID },
  })
}
function follow(did: string, subject: string, rkey: string): IndexEvent {
  const record = { $type: 'app.bsky.graph.follow', subject, createdAt: '2026-01-01T00:00:00.000Z' }
  return event({
    did,
    kind: 'commit',
    commit: { rev: rkey, operation: 'create', collection: 'app.bsky.graph.follow', rkey, record, cid: CID },
  })
}
const uriOf = (did: string, rkey: string) => `at://${did}/app.bsky.feed.like/${rkey}`

describe('planBatch', () => {
  it('keeps the last state of each record, removing stored rows first when replaced or deleted', () => {
    const plan = planBatch([
      like(ALICE, '3lcreatedel22', 'create', '3lrevaaaaaaa2'),
      like(ALICE, '3lcreatedel22', 'delete', '3lrevaaaaaaa3'),
      like(ALICE, '3ldelrecreat2', 'delete', '3lrevaaaaaaa4'),
      like(ALICE, '3ldelrecreat2', 'create', '3lrevaaaaaaa5'),
      like(ALICE, '3lupdated2222', 'update', '3lrevaaaaaaa6'),
      like(ALICE, '3ltwice222222', 'create', '3lrevaaaaaaa7'),
      like(ALICE, '3ltwice222222', 'create', '3lrevaaaaaaa7'),
    ])
    expect(plan.likes.remove.sort()).toEqual(
      [uriOf(ALICE, '3lcreatedel22'), uriOf(ALICE, '3ldelrecreat2'), uriOf(ALICE, '3lupdated2222')].sort(),
    )
    expect(plan.likes.write.map((w) => [w.row.uri, w.rev]).sort()).toEqual(
      [
        [uriOf(ALICE, '3ldelrecreat2'), '3lrevaaaaaaa5'],
        [uriOf(ALICE, '3lupdated2222'), '3lrevaaaaaaa6'],
        [uriOf(ALICE, '3ltwice222222'), '3lrevaaaaaaa7'],
      ].sort(),
    )
    expect(plan.tombstones).toEqual([
      {
        uri: uriOf(ALICE, '3lcreatedel22'),
        did: ALICE,
        collection: 'app.bsky.feed.like',
        rev: '3lrevaaaaaaa3',
      },
    ])
    expect(plan.authors).toEqual([ALICE])
    expect(plan.counts.get('commit|app.bsky.feed.like|create')).toBe(4)
    expect(plan.counts.get('commit|app.bsky.feed.like|delete')).toBe(2)
  })

  it('moves the cursor over skipped events too, and keeps the last identity and account change', () => {
    const first = event({ did: ALICE, kind: 'identity', identity: { did: ALICE, handle: 'Old.Test' } })
    const second = event({ did: ALICE, kind: 'identity', identity: { did: ALICE, handle: 'new.test' } })
    const account = event({
      did: ALICE,
      kind: 'account',
      account: { did: ALICE, active: false, status: 'takendown' },
    })
    const skipped: IndexEvent = { kind: 'skip', timeUs: ++clock }
    const plan = planBatch([first, second, account, skipped])
    expect(plan.cursorUs).toBe(skipped.timeUs)
    expect(plan.events).toBe(4)
    expect(plan.identities).toEqual([{ did: ALICE, handle: 'new.test' }])
    expect(plan.accounts).toEqual([{ did: ALICE, active: false, status: 'takendown' }])
  })

  it('applies the index scope in stream order: a follow by a local user lets the subject in at once', () => {
    const locals = new Set([ALICE])
    const admitted = new Set([ALICE])
    const scope: ScopeFilter = {
      admits: (did) => admitted.has(did),
      observeFollow: (author, subject) => {
        if (locals.has(author)) admitted.add(subject)
      },
    }
    const before = like(BOB, '3lbobbefore22', 'create', '3lrevaaaaaab2')
    const follows = follow(ALICE, BOB, '3lfollowbob22')
    const after = like(BOB, '3lbobafter222', 'create', '3lrevaaaaaab3')
    const plan = planBatch([before, follows, after], scope)
    expect(plan.likes.write.map((w) => w.row.uri)).toEqual([uriOf(BOB, '3lbobafter222')])
    expect(plan.follows.write).toHaveLength(1)
    expect(plan.cursorUs).toBe(after.timeUs)
  })
})
