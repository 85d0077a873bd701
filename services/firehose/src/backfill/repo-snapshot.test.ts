import { describe, expect, it } from 'vitest'
import { Secp256k1Keypair } from '@atproto/crypto'
import { MemoryBlockstore, Repo, WriteOpAction, concatBytes, getFullRepo } from '@atproto/repo'
import type { RecordCreateOp } from '@atproto/repo'
import { FetchFailure } from './pds-client.ts'
import { snapshotFromCar } from './repo-snapshot.ts'
import type { RecordSink, RepoRecord } from './repo-snapshot.ts'

const DID = 'did:plc:abcdefghijklmnopqrstuvwx'
const createdAt = '2026-01-02T03:04:05.000Z'

function create(collection: string, rkey: string, record: Record<string, unknown>): RecordCreateOp {
  return {
    action: WriteOpAction.Create,
    collection: collection as RecordCreateOp['collection'],
    rkey: rkey as RecordCreateOp['rkey'],
    record: { $type: collection, ...record } as RecordCreateOp['record'],
  }
}

/** A real signed repo, built and exported as a CAR exactly as a PDS's getRepo serves it. */
async function repoCar(keypair: Secp256k1Keypair) {
  const storage = new MemoryBlockstore()
  const repo = await Repo.create(storage, DID, keypair, [
    create('app.bsky.actor.profile', 'self', { displayName: 'Bee' }),
    create('app.bsky.feed.post', '3kaaaaaaaaaa2', { text: 'one', createdAt }),
    create('app.bsky.feed.post', '3kaaaaaaaaaa3', { text: 'two', createdAt }),
    create('app.bsky.graph.follow', '3kaaaaaaaaaa4', {
      subject: 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb',
      createdAt,
    }),
    create('app.bsky.graph.block', '3kaaaaaaaaaa5', {
      subject: 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb',
      createdAt,
    }),
    create('com.example.other', '3kaaaaaaaaaa6', { anything: true }),
  ])
  const chunks: Uint8Array[] = []
  for await (const chunk of getFullRepo(storage, repo.cid)) chunks.push(chunk)
  return { car: concatBytes(chunks), rev: repo.commit.rev }
}

/** Keeps what a read hands on. */
class Collect implements RecordSink {
  revs: string[] = []
  batches: RepoRecord[][] = []

  begin(rev: string): void {
    this.revs.push(rev)
  }

  add(records: RepoRecord[]): void {
    expect(this.revs.length).toBe(1)
    this.batches.push(records)
  }
}

describe('snapshotFromCar', () => {
  it('verifies the repo and yields exactly the indexed collections, in JSON form', async () => {
    const keypair = await Secp256k1Keypair.create()
    const { car, rev } = await repoCar(keypair)
    // Read as it streams in, in small uneven chunks.
    async function* chunks() {
      for (let i = 0; i < car.length; i += 333) yield car.subarray(i, i + 333)
    }
    const sink = new Collect()
    const snapshot = await snapshotFromCar(DID, chunks(), { signingKey: keypair.did() }, sink)
    expect(snapshot.rev).toBe(rev)
    expect(sink.revs).toEqual([rev])
    expect(snapshot.method).toBe('car')
    expect([...snapshot.uris].sort()).toEqual([
      `at://${DID}/app.bsky.actor.profile/self`,
      `at://${DID}/app.bsky.feed.post/3kaaaaaaaaaa2`,
      `at://${DID}/app.bsky.feed.post/3kaaaaaaaaaa3`,
      `at://${DID}/app.bsky.graph.follow/3kaaaaaaaaaa4`,
    ])
    const records = sink.batches.flat()
    expect(records.map((r) => `at://${DID}/${r.collection}/${r.rkey}`).sort()).toEqual(
      [...snapshot.uris].sort(),
    )
    const post = records.find((r) => r.rkey === '3kaaaaaaaaaa2')!
    expect(post.record).toEqual({ $type: 'app.bsky.feed.post', text: 'one', createdAt })
    expect(post.cid).toMatch(/^bafyrei/)
  })

  it('refuses a CAR signed by another key, for another DID, or cut short', async () => {
    const keypair = await Secp256k1Keypair.create()
    const other = await Secp256k1Keypair.create()
    const { car } = await repoCar(keypair)
    const wrongKey = new Collect()
    await expect(snapshotFromCar(DID, car, { signingKey: other.did() }, wrongKey)).rejects.toThrow(
      /signature/,
    )
    // Nothing of an unverified repo is handed on.
    expect(wrongKey.batches).toEqual([])
    // A rotated key: the fresh one from the DID document verifies.
    const refreshed = await snapshotFromCar(
      DID,
      car,
      { signingKey: other.did(), refresh: async () => keypair.did() },
      new Collect(),
    )
    expect(refreshed.uris.size).toBe(4)
    await expect(
      snapshotFromCar('did:plc:zzzzzzzzzzzzzzzzzzzzzzzz', car, { signingKey: keypair.did() }, new Collect()),
    ).rejects.toThrow(/is for/)
    const cut = snapshotFromCar(
      DID,
      car.slice(0, car.length - 200),
      { signingKey: keypair.did() },
      new Collect(),
    )
    await expect(cut).rejects.toBeInstanceOf(FetchFailure)
    await expect(cut).rejects.toMatchObject({ kind: 'invalid' })
  })
})
