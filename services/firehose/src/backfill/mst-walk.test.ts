import { describe, expect, it } from 'vitest'
import { Secp256k1Keypair } from '@atproto/crypto'
import { MST, MemoryBlockstore, Repo, WriteOpAction } from '@atproto/repo'
import type { RecordCreateOp } from '@atproto/repo'
import type { BlockMap } from '@atproto/repo'
import { RepoBlocks } from './car-reader.ts'
import { cidString } from './cbor.ts'
import { mstLeaves } from './mst-walk.ts'
import { FetchFailure } from './pds-client.ts'

const DID = 'did:plc:abcdefghijklmnopqrstuvwx'
const COLLECTIONS = [
  'app.bsky.feed.post',
  'app.bsky.feed.like',
  'app.bsky.graph.follow',
  'app.bsky.feed.repost',
]

function repoBlocks(map: BlockMap): RepoBlocks {
  const blocks = new RepoBlocks()
  for (const { cid, bytes } of map.entries()) blocks.set(cid.bytes, bytes)
  return blocks
}

describe('mstLeaves', () => {
  it('lists the same leaves as @atproto/repo, in order, over a tree several layers deep', async () => {
    const keypair = await Secp256k1Keypair.create()
    const storage = new MemoryBlockstore()
    const writes: RecordCreateOp[] = []
    for (let i = 0; i < 1500; i++) {
      const collection = COLLECTIONS[i % COLLECTIONS.length]
      writes.push({
        action: WriteOpAction.Create,
        collection: collection as RecordCreateOp['collection'],
        rkey: `r${String(i).padStart(6, '0')}` as RecordCreateOp['rkey'],
        record: { $type: collection, n: i } as RecordCreateOp['record'],
      })
    }
    const repo = await Repo.create(storage, DID, keypair, writes)
    const expected = await (await MST.load(storage, repo.commit.data)).leaves()
    const actual = await mstLeaves(repoBlocks(storage.blocks), repo.commit.data.bytes)
    expect(actual.map((l) => [l.key, cidString(l.cid)])).toEqual(
      expected.map((l) => [l.key, l.value.toString()]),
    )
    expect(actual).toHaveLength(1500)
  })

  it('refuses a tree with a node missing', async () => {
    const keypair = await Secp256k1Keypair.create()
    const storage = new MemoryBlockstore()
    const writes: RecordCreateOp[] = Array.from({ length: 300 }, (_, i) => ({
      action: WriteOpAction.Create,
      collection: 'app.bsky.feed.post' as RecordCreateOp['collection'],
      rkey: `r${String(i).padStart(6, '0')}` as RecordCreateOp['rkey'],
      record: { $type: 'app.bsky.feed.post', n: i } as RecordCreateOp['record'],
    }))
    const repo = await Repo.create(storage, DID, keypair, writes)
    const root = await MST.load(storage, repo.commit.data)
    const child = (await root.getEntries()).find((e) => e.isTree())
    expect(child).toBeDefined()
    storage.blocks.delete(await (child as MST).getPointer())
    await expect(mstLeaves(repoBlocks(storage.blocks), repo.commit.data.bytes)).rejects.toThrow(FetchFailure)
  })
})
