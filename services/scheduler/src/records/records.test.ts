import { describe, expect, it } from 'vitest'
import { isValidTid } from '@atproto/syntax'
import { collectBlobCids, withBlobMetadata } from './blob-refs.ts'
import { blobCid, recordCid } from './record-cid.ts'
import { recordForPublish, sameRecordContent } from './record-content.ts'
import { TidGenerator } from './tid.ts'
import { validateRecord } from './validate.ts'

const blob = (cid: string) => ({ $type: 'blob', ref: { $link: cid }, mimeType: 'image/png', size: 3 })

describe('record helpers', () => {
  it('makes valid, strictly increasing TIDs', () => {
    const tids = new TidGenerator(5)
    const a = tids.next(1_700_000_000_000_000)
    const b = tids.next(1_700_000_000_000_000)
    expect(isValidTid(a) && isValidTid(b)).toBe(true)
    expect(b > a).toBe(true)
  })

  it('names blobs like a PDS (raw codec, sha-256)', () => {
    expect(blobCid(Buffer.from('hello'))).toBe('bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq')
  })

  it('computes a dag-cbor CID that depends on the blob ref', async () => {
    const cid = blobCid(Buffer.from('x'))
    const rec = { $type: 'app.bsky.feed.post', text: 'hi', createdAt: '2026-01-01T00:00:00.000Z' }
    const withImage = {
      ...rec,
      embed: { $type: 'app.bsky.embed.images', images: [{ alt: '', image: blob(cid) }] },
    }
    expect(await recordCid(rec)).toMatch(/^bafyrei/)
    expect(await recordCid(withImage)).not.toBe(await recordCid(rec))
    expect(collectBlobCids(withImage)).toEqual([cid])
    const patched = withBlobMetadata(withImage, new Map([[cid, { mimeType: 'image/jpeg', size: 9 }]]))
    expect(patched.embed.images[0].image).toMatchObject({ mimeType: 'image/jpeg', size: 9 })
  })

  it('sets createdAt at publish unless asked to keep it, and compares content without it', () => {
    const rec = { text: 'hi', createdAt: '2020-01-01T00:00:00.000Z' }
    const now = new Date('2026-02-02T00:00:00.000Z')
    const out = recordForPublish(rec, 'app.bsky.feed.post', now, false)
    expect(out).toEqual({ $type: 'app.bsky.feed.post', text: 'hi', createdAt: now.toISOString() })
    expect(recordForPublish(rec, 'app.bsky.feed.post', now, true).createdAt).toBe(rec.createdAt)
    expect(sameRecordContent({ ...out, createdAt: 'other' }, out, true)).toBe(true)
    expect(sameRecordContent({ ...out, createdAt: 'other' }, out, false)).toBe(false)
    expect(sameRecordContent({ ...out, text: 'no' }, out, true)).toBe(false)
  })

  it('validates known collections and passes unknown ones', () => {
    const ok = validateRecord(
      'app.bsky.feed.post',
      { text: 'hi', createdAt: new Date().toISOString() },
      undefined,
    )
    expect(ok).toEqual({ ok: true, status: 'valid' })
    const bad = validateRecord('app.bsky.feed.post', { text: 5 }, undefined)
    expect(bad.ok).toBe(false)
    expect(validateRecord('com.example.thing', { a: 1 }, undefined)).toEqual({ ok: true, status: 'unknown' })
    expect(validateRecord('com.example.thing', { a: 1 }, true).ok).toBe(false)
    expect(validateRecord('app.bsky.feed.post', { $type: 'app.bsky.feed.like' }, undefined).ok).toBe(false)
  })
})
