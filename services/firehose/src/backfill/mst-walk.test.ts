import { describe, expect, it } from 'vitest'
import { Secp256k1Keypair } from '@atproto/crypto'
import { cborEncode, cidForLex } from '@atproto/lex-cbor'
import type { Cid } from '@atproto/lex-data'
import { MST, MemoryBlockstore, Repo, WriteOpAction } from '@atproto/repo'
import type { RecordCreateOp } from '@atproto/repo'
import { cidString } from './cbor.ts'
import { MstWalk } from './mst-walk.ts'
import { FetchFailure } from './pds-client.ts'

const DID = 'did:plc:abcdefghijklmnopqrstuvwx'
const COLLECTIONS = [
  'app.bsky.feed.post',
  'app.bsky.feed.like',
  'app.bsky.graph.follow',
  'app.bsky.feed.repost',
]

async function repo(records: number) {
  const keypair = await Secp256k1Keypair.create()
  const storage = new MemoryBlockstore()
  const writes: RecordCreateOp[] = []
  for (let i = 0; i < records; i++) {
    const collection = COLLECTIONS[i % COLLECTIONS.length]
    writes.push({
      action: WriteOpAction.Create,
      collection: collection as RecordCreateOp['collection'],
      rkey: `r${String(i).padStart(6, '0')}` as RecordCreateOp['rkey'],
      record: { $type: collection, n: i } as RecordCreateOp['record'],
    })
  }
  const created = await Repo.create(storage, DID, keypair, writes)
  const blocks = [...storage.blocks.entries()].map(({ cid, bytes }) => ({ cid: cid.bytes, bytes }))
  return { storage, root: created.commit.data, blocks }
}

/** Feeds blocks to a walk (the root given after `startAfter` of them); every record handed on, by key. */
function walkAll(
  root: Cid,
  blocks: Array<{ cid: Uint8Array; bytes: Uint8Array }>,
  startAfter: number,
  wanted: (key: string) => boolean = () => true,
) {
  const walk = new MstWalk(wanted)
  const handed = new Map<string, string>()
  const take = () => {
    for (const { leaf, bytes } of walk.takeReady()) {
      expect(handed.has(leaf.key)).toBe(false)
      expect(bytes.length).toBeGreaterThan(0)
      handed.set(leaf.key, cidString(leaf.cid))
    }
  }
  blocks.forEach((b, i) => {
    if (i === startAfter) walk.start(root.bytes)
    walk.add(b.cid, b.bytes)
    take()
  })
  if (startAfter >= blocks.length) walk.start(root.bytes)
  take()
  walk.finish()
  return { walk, handed }
}

describe('MstWalk', () => {
  it('hands on the same records as @atproto/repo lists, whatever order the blocks come in', async () => {
    const { storage, root, blocks } = await repo(1500)
    const expected = (await (await MST.load(storage, root)).leaves()).map((l) => [l.key, l.value.toString()])
    expect(expected).toHaveLength(1500)
    const reversed = [...blocks].reverse()
    const byCid = [...blocks].sort((a, b) => Buffer.compare(Buffer.from(a.cid), Buffer.from(b.cid)))
    for (const [order, startAfter] of [
      [blocks, 0],
      [reversed, 0],
      [byCid, 0],
      [byCid, blocks.length],
    ] as const) {
      const { walk, handed } = walkAll(root, order, startAfter)
      expect([...handed].sort()).toEqual(expected)
      expect(walk.leaves.map((l) => [l.key, cidString(l.cid)]).sort()).toEqual(expected)
    }
  })

  it('hands on nothing before it is started, and only the records its filter wants', async () => {
    const { root, blocks } = await repo(300)
    const walk = new MstWalk((key) => key.startsWith('app.bsky.feed.post/'))
    for (const b of blocks) walk.add(b.cid, b.bytes)
    expect(walk.readyCount).toBe(0)
    walk.start(root.bytes)
    const keys = walk.takeReady().map((r) => r.leaf.key)
    expect(keys).toHaveLength(75)
    expect(keys.every((k) => k.startsWith('app.bsky.feed.post/'))).toBe(true)
    expect(walk.leaves).toHaveLength(300)
    walk.finish()
  })

  it('never hands on a record block that no node of the tree names', async () => {
    const { root, blocks } = await repo(50)
    const stray = cborEncode({ $type: 'app.bsky.feed.post', text: 'not in the tree' })
    const strayCid = await cidForLex({ $type: 'app.bsky.feed.post', text: 'not in the tree' })
    const { handed } = walkAll(root, [{ cid: strayCid.bytes, bytes: stray }, ...blocks], 0)
    expect(handed.size).toBe(50)
    expect([...handed.values()]).not.toContain(strayCid.toString())
  })

  it('refuses a tree with a node missing', async () => {
    const { storage, root, blocks } = await repo(300)
    const child = (await (await MST.load(storage, root)).getEntries()).find((e) => e.isTree())
    expect(child).toBeDefined()
    const missing = (await (child as MST).getPointer()).toString()
    const without = blocks.filter((b) => cidString(b.cid) !== missing)
    expect(without).toHaveLength(blocks.length - 1)
    expect(() => walkAll(root, without, 0)).toThrow(FetchFailure)
    expect(() => walkAll(root, without, 0)).toThrow(/lacks MST node/)
  })

  it('refuses a subtree whose keys fall outside the range its place in the tree allows', async () => {
    const record = await cidForLex({ $type: 'app.bsky.feed.post', text: 'x' })
    const entry = (key: string, t: Cid | null) => ({ p: 0, k: new TextEncoder().encode(key), v: record, t })
    // The left subtree of a node holds keys before the node's first key: here it holds a later one.
    const leftNode = { l: null, e: [entry('app.bsky.feed.post/b', null)] }
    const leftCid = await cidForLex(leftNode)
    const rootNode = { l: leftCid, e: [entry('app.bsky.feed.post/a', null)] }
    const rootCid = await cidForLex(rootNode)
    const blocks = [
      { cid: rootCid.bytes, bytes: cborEncode(rootNode) },
      { cid: leftCid.bytes, bytes: cborEncode(leftNode) },
    ]
    expect(() => walkAll(rootCid, blocks, 0)).toThrow(/keys out of order/)
  })
})
