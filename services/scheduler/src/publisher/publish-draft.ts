import { lexToJson } from '@atproto/lexicon'
import { XRPCError } from '@atproto/xrpc'
import type { Db } from '@sundial/common'
import { getBlobs } from '../db/blobs.ts'
import type { DraftRow } from '../db/drafts.ts'
import type { PdsClient } from '../outbound/pds-client.ts'
import { withBlobMetadata } from '../records/blob-refs.ts'
import { recordCid } from '../records/record-cid.ts'
import type { JsonRecord } from '../records/record-cid.ts'
import { recordForPublish, sameRecordContent } from '../records/record-content.ts'

export type WriteAction = 'create' | 'update' | 'delete'

/** One write of a draft, as stored (applyWrites keeps a list of these). */
export interface StoredWrite {
  action: WriteAction
  collection: string
  rkey: string
  uri: string
  value?: JsonRecord
}

/** A write the PDS acknowledged; `committed` false when it changed nothing (so Jetstream will not show it). */
export interface PublishedOp {
  action: WriteAction
  uri: string
  cid: string | null
  committed: boolean
}

export type PublishOutcome =
  | { ok: true; ops: PublishedOp[]; record: JsonRecord | null; note?: string; landedEarlier?: boolean }
  | { ok: false; error: unknown }
  | { ok: false; permanent: true; reason: string }

export interface PublishInput {
  db: Db
  agent: PdsClient
  draft: DraftRow
  /** The record content to publish (already fetched for dynamic schedules). */
  record: JsonRecord | null
  /** True when an earlier attempt may have reached the PDS: look for our own record before writing. */
  recovering: boolean
  /** Called right before the write leaves, to measure lateness. */
  onSend: () => void
  now: () => Date
}

/** The draft's writes in stored form (single-record operations become one write). */
export function draftWrites(draft: DraftRow, record: JsonRecord | null): StoredWrite[] {
  if (draft.operation === 'applyWrites') return (draft.writes as StoredWrite[]) ?? []
  const action: WriteAction =
    draft.operation === 'delete' ? 'delete' : draft.operation === 'put' ? 'update' : 'create'
  return [
    {
      action,
      collection: draft.collection!,
      rkey: draft.rkey!,
      uri: draft.uri,
      value: action === 'delete' ? undefined : (record ?? undefined),
    },
  ]
}

/**
 * Performs one draft's writes on the PDS so that repeating it is harmless: records keep the rkey fixed at
 * draft time; a create is a putRecord that must not overwrite (swapRecord null), and when an earlier attempt
 * may have landed we read the record back and count our own content as success.
 */
export async function publishToPds(input: PublishInput): Promise<PublishOutcome> {
  const { agent, draft } = input
  const did = draft.ownerDid
  try {
    const uploaded = await uploadBlobs(input)
    const publishAt = input.now()
    const writes = draftWrites(draft, input.record).map((w) =>
      w.value
        ? {
            ...w,
            value: withBlobMetadata(
              recordForPublish(w.value, w.collection, publishAt, draft.keepCreatedAt),
              uploaded,
            ),
          }
        : w,
    )
    if (writes.length === 0) return { ok: false, permanent: true, reason: 'InvalidDraft: no writes' }
    const ignoreCreatedAt = !draft.keepCreatedAt

    if (draft.operation === 'applyWrites') {
      if (input.recovering && (await alreadyApplied(agent, did, writes, ignoreCreatedAt))) {
        return {
          ok: true,
          ops: await opsFromPds(agent, did, writes),
          record: null,
          note: 'found on the PDS after a retry',
          landedEarlier: true,
        }
      }
      input.onSend()
      const res = await agent.applyWrites({
        repo: did,
        validate: draft.validate ?? undefined,
        writes: writes.map((w) =>
          w.action === 'delete'
            ? {
                $type: 'com.atproto.repo.applyWrites#delete' as const,
                collection: w.collection,
                rkey: w.rkey,
              }
            : {
                $type: `com.atproto.repo.applyWrites#${w.action}` as 'com.atproto.repo.applyWrites#create',
                collection: w.collection,
                rkey: w.rkey,
                value: w.value!,
              },
        ),
      })
      const committed = !!res.commit
      const results = res.results ?? []
      const ops = await Promise.all(
        writes.map(async (w, i) => {
          const r = results[i] as { cid?: string } | undefined
          const cid = w.action === 'delete' ? null : (r?.cid ?? (await recordCid(w.value!)))
          return { action: w.action, uri: w.uri, cid, committed }
        }),
      )
      return { ok: true, ops, record: null }
    }

    const [w] = writes
    if (w.action === 'delete') {
      input.onSend()
      const res = await agent.deleteRecord({
        repo: did,
        collection: w.collection,
        rkey: w.rkey,
      })
      return {
        ok: true,
        ops: [{ action: 'delete', uri: w.uri, cid: null, committed: !!res.commit }],
        record: null,
      }
    }

    const record = w.value!
    if (input.recovering) {
      const found = await getRecord(agent, did, w.collection, w.rkey)
      if (found && sameRecordContent(found.value, record, ignoreCreatedAt)) {
        return {
          ok: true,
          ops: [{ action: w.action, uri: w.uri, cid: found.cid, committed: true }],
          record: found.value as JsonRecord,
          note: 'found on the PDS after a retry',
          landedEarlier: true,
        }
      }
    }
    input.onSend()
    try {
      const res = await agent.putRecord({
        repo: did,
        collection: w.collection,
        rkey: w.rkey,
        record,
        validate: draft.validate ?? undefined,
        // A create must never replace a record: if the key is taken, find out whose record it is.
        swapRecord: w.action === 'create' ? null : undefined,
      })
      return {
        ok: true,
        ops: [{ action: w.action, uri: w.uri, cid: res.cid, committed: !!res.commit }],
        record,
      }
    } catch (err) {
      if (w.action === 'create' && err instanceof XRPCError && err.error === 'InvalidSwap') {
        const found = await getRecord(agent, did, w.collection, w.rkey)
        if (found && sameRecordContent(found.value, record, ignoreCreatedAt)) {
          return {
            ok: true,
            ops: [{ action: 'create', uri: w.uri, cid: found.cid, committed: true }],
            record: found.value as JsonRecord,
            note: 'already on the PDS (an earlier attempt landed)',
            landedEarlier: true,
          }
        }
        return {
          ok: false,
          permanent: true,
          reason: `RecordExists: ${w.uri} already holds a different record`,
        }
      }
      throw err
    }
  } catch (error) {
    return { ok: false, error }
  }
}

/** Uploads the draft's stored blobs; returns what the PDS recorded for each (it sniffs the MIME type). */
async function uploadBlobs(input: PublishInput): Promise<Map<string, { mimeType: string; size: number }>> {
  const out = new Map<string, { mimeType: string; size: number }>()
  const blobs = await getBlobs(input.db, input.draft.ownerDid, input.draft.blobCids)
  for (const blob of blobs) {
    const res = await input.agent.uploadBlob(new Uint8Array(blob.bytes), blob.mimeType)
    const ref = res.blob
    if (ref.ref.toString() !== blob.cid) {
      throw new Error(`PDS stored blob ${blob.cid} under a different CID (${ref.ref.toString()})`)
    }
    out.set(blob.cid, { mimeType: ref.mimeType, size: ref.size })
  }
  return out
}

async function getRecord(
  agent: PdsClient,
  repo: string,
  collection: string,
  rkey: string,
): Promise<{ cid: string; value: unknown } | null> {
  try {
    const res = await agent.getRecord({ repo, collection, rkey })
    return { cid: res.cid ?? '', value: lexToJson(res.value as never) }
  } catch (err) {
    if (err instanceof XRPCError && (err.error === 'RecordNotFound' || err.status === 404)) return null
    if (err instanceof XRPCError && err.status === 400 && /not found/i.test(err.message)) return null
    throw err
  }
}

/** applyWrites is atomic: one of our non-delete writes being there means all are; all-deletes check each. */
async function alreadyApplied(
  agent: PdsClient,
  did: string,
  writes: StoredWrite[],
  ignoreCreatedAt: boolean,
) {
  const probe = writes.find((w) => w.action !== 'delete')
  if (probe) {
    const found = await getRecord(agent, did, probe.collection, probe.rkey)
    return !!found && sameRecordContent(found.value, probe.value!, ignoreCreatedAt)
  }
  for (const w of writes) {
    if (await getRecord(agent, did, w.collection, w.rkey)) return false
  }
  return true
}

async function opsFromPds(agent: PdsClient, did: string, writes: StoredWrite[]): Promise<PublishedOp[]> {
  return Promise.all(
    writes.map(async (w) => {
      if (w.action === 'delete') return { action: w.action, uri: w.uri, cid: null, committed: true }
      const found = await getRecord(agent, did, w.collection, w.rkey)
      return { action: w.action, uri: w.uri, cid: found?.cid ?? null, committed: true }
    }),
  )
}
