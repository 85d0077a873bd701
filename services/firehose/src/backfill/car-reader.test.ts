import { describe, expect, it } from 'vitest'
import { Secp256k1Keypair } from '@atproto/crypto'
import {
  MemoryBlockstore,
  Repo,
  WriteOpAction,
  concatBytes,
  getFullRepo,
  readCarWithRoot,
} from '@atproto/repo'
import type { RecordCreateOp } from '@atproto/repo'
import { RepoBlocks, readRepoCar } from './car-reader.ts'
import { FetchFailure } from './pds-client.ts'

async function repoCar(records: number): Promise<Uint8Array> {
  const storage = new MemoryBlockstore()
  const writes: RecordCreateOp[] = Array.from({ length: records }, (_, i) => ({
    action: WriteOpAction.Create,
    collection: 'app.bsky.feed.post' as RecordCreateOp['collection'],
    rkey: `r${String(i).padStart(6, '0')}` as RecordCreateOp['rkey'],
    record: { $type: 'app.bsky.feed.post', text: `post ${i}`, createdAt: '2026-01-01T00:00:00.000Z' },
  }))
  const repo = await Repo.create(
    storage,
    'did:plc:abcdefghijklmnopqrstuvwx',
    await Secp256k1Keypair.create(),
    writes,
  )
  const chunks: Uint8Array[] = []
  for await (const chunk of getFullRepo(storage, repo.cid)) chunks.push(chunk)
  return concatBytes(chunks)
}

async function* inChunks(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

/** Every block of the CAR, as read. */
async function readAll(source: AsyncIterable<Uint8Array>) {
  const blocks = new RepoBlocks()
  const root = await readRepoCar(source, () => ({ block: (cid, bytes) => void blocks.set(cid, bytes) }))
  return { root, blocks }
}

describe('readRepoCar', () => {
  it('reads the same root and blocks as @atproto/repo, whatever the chunking', async () => {
    const car = await repoCar(400)
    const reference = await readCarWithRoot(car)
    for (const size of [7, 1000, car.length]) {
      const { root, blocks } = await readAll(inChunks(car, size))
      expect(root.toString()).toBe(reference.root.toString())
      expect(blocks.size).toBe(reference.blocks.size)
      for (const { cid, bytes } of reference.blocks.entries()) {
        expect(Buffer.from(blocks.get(cid.bytes)!).equals(Buffer.from(bytes))).toBe(true)
      }
    }
  })

  it('refuses a block whose bytes do not match its CID, and a CAR cut short', async () => {
    const car = await repoCar(50)
    const corrupt = Uint8Array.from(car)
    corrupt[corrupt.length - 5] ^= 0xff
    await expect(readAll(inChunks(corrupt, 500))).rejects.toThrow(/does not match its CID/)
    await expect(readAll(inChunks(car.subarray(0, car.length - 3), 500))).rejects.toBeInstanceOf(FetchFailure)
    await expect(readAll(inChunks(new Uint8Array(0), 10))).rejects.toThrow(/no header/)
  })
})
