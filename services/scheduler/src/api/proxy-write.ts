import { createHash, randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { lexToJson } from '@atproto/lexicon'
import { InvalidRequestError } from '@atproto/xrpc-server'
import type { AppContext } from '../context.ts'
import { countActiveDrafts, insertDrafts, lockOwner } from '../db/drafts.ts'
import type { DraftRow, NewDraft } from '../db/drafts.ts'
import type { StoredWrite, WriteAction } from '../publisher/publish-draft.ts'
import { collectBlobCids } from '../records/blob-refs.ts'
import { recordCid } from '../records/record-cid.ts'
import type { JsonRecord } from '../records/record-cid.ts'
import { checkRecordPath, validateRecord } from '../records/validate.ts'
import { newId } from '../schedules/planner.ts'

/** What ALF-style headers ask of a proxied write. */
export interface ProxyOptions {
  /** `x-scheduled-at`: publish at this time; absent → an unscheduled draft. */
  scheduledAt?: Date
  /** `x-trigger: webhook`: issue a one-time trigger URL. */
  trigger: boolean
  /** `x-keep-created-at: true`: publish the client's createdAt instead of the publish moment. */
  keepCreatedAt: boolean
}

export function readProxyHeaders(headers: IncomingHttpHeaders): ProxyOptions {
  const one = (name: string): string | undefined => {
    const v = headers[name]
    return Array.isArray(v) ? v[0] : v
  }
  const at = one('x-scheduled-at')?.trim()
  let scheduledAt: Date | undefined
  if (at) {
    // ISO 8601 with a time zone (Z or offset), as ALF clients send.
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(at)) {
      throw new InvalidRequestError(
        'x-scheduled-at must be an ISO 8601 date-time with a time zone, e.g. 2026-06-01T09:00:00Z',
        'InvalidScheduledAt',
      )
    }
    scheduledAt = new Date(at)
    if (Number.isNaN(scheduledAt.getTime()))
      throw new InvalidRequestError('x-scheduled-at is not a valid date', 'InvalidScheduledAt')
  }
  const trigger = one('x-trigger')?.trim().toLowerCase()
  if (trigger !== undefined && trigger !== '' && trigger !== 'webhook') {
    throw new InvalidRequestError('x-trigger supports only "webhook"', 'InvalidTrigger')
  }
  const keep = one('x-keep-created-at')?.trim().toLowerCase()
  if (keep !== undefined && keep !== '' && keep !== 'true' && keep !== 'false') {
    throw new InvalidRequestError('x-keep-created-at must be true or false', 'InvalidRequest')
  }
  return { scheduledAt, trigger: trigger === 'webhook', keepCreatedAt: keep === 'true' }
}

/** A write as the PDS method received it (after xrpc-server parsed and validated the body). */
export interface ProxiedWrite {
  repo: string
  operation: 'create' | 'put' | 'delete' | 'applyWrites'
  validate?: boolean
  writes: Array<{ action: WriteAction; collection: string; rkey?: string; value?: unknown }>
}

export interface CreatedDraft {
  draft: DraftRow
  writes: Array<StoredWrite & { cid?: string; validationStatus?: 'valid' | 'unknown' }>
  triggerUrl?: string
}

/**
 * Turns an intercepted write into a draft: record keys fixed now (a TID for creates without one), each
 * record checked and its CID computed as the PDS will, the per-user limit enforced under a per-owner lock.
 */
export async function createDraftForWrite(
  ctx: AppContext,
  did: string,
  input: ProxiedWrite,
  opts: ProxyOptions,
): Promise<CreatedDraft> {
  if (input.repo !== did) {
    throw new InvalidRequestError(`repo must be the authenticated account (${did})`, 'InvalidRepo')
  }
  if (input.writes.length === 0) throw new InvalidRequestError('writes must not be empty')
  const writes: CreatedDraft['writes'] = []
  const seen = new Set<string>()
  for (const w of input.writes) {
    const rkey = w.rkey ?? (w.action === 'create' ? ctx.tids.next() : undefined)
    if (!rkey) throw new InvalidRequestError(`rkey is required for ${w.action}`)
    const pathError = checkRecordPath(w.collection, rkey)
    if (pathError) throw new InvalidRequestError(pathError)
    const uri = `at://${did}/${w.collection}/${rkey}`
    if (seen.has(uri)) throw new InvalidRequestError(`two writes to ${uri}`)
    seen.add(uri)
    if (w.action === 'delete') {
      writes.push({ action: 'delete', collection: w.collection, rkey, uri })
      continue
    }
    const json = lexToJson(w.value as never) as JsonRecord
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new InvalidRequestError('record must be an object', 'InvalidRecord')
    }
    const checked = validateRecord(w.collection, json, input.validate)
    if (!checked.ok) throw new InvalidRequestError(`Invalid record: ${checked.message}`, 'InvalidRecord')
    const value = { ...json, $type: json.$type ?? w.collection }
    writes.push({
      action: w.action,
      collection: w.collection,
      rkey,
      uri,
      value,
      cid: await recordCid(value),
      validationStatus: checked.status,
    })
  }

  const blobCids = collectBlobCids(writes.map((w) => w.value ?? null))
  const triggerSecret = opts.trigger ? randomBytes(32).toString('base64url') : undefined
  const single = input.operation !== 'applyWrites' ? writes[0] : undefined
  const now = new Date()
  const row: NewDraft = {
    id: newId(),
    ownerDid: did,
    status: opts.scheduledAt ? 'scheduled' : 'draft',
    operation: input.operation,
    collection: single?.collection ?? null,
    rkey: single?.rkey ?? null,
    uri: writes[0].uri,
    record: single?.value ? JSON.stringify(single.value) : null,
    writes: single ? null : JSON.stringify(writes.map(({ cid: _c, validationStatus: _v, ...w }) => w)),
    draftCid: single?.cid ?? null,
    validate: input.validate ?? null,
    keepCreatedAt: opts.keepCreatedAt,
    blobCids,
    scheduledAt: opts.scheduledAt ?? null,
    nextAttemptAt: opts.scheduledAt ?? null,
    wakeAt: opts.scheduledAt ?? null,
    triggerHash: triggerSecret ? hashTriggerSecret(triggerSecret) : null,
    createdAt: now,
    updatedAt: now,
  }
  const draft = await ctx.db.transaction().execute(async (tx) => {
    await lockOwner(tx, did)
    const active = await countActiveDrafts(tx, did)
    if (active >= ctx.cfg.maxDraftsPerUser) {
      throw new InvalidRequestError(
        `at most ${ctx.cfg.maxDraftsPerUser} unpublished drafts per account`,
        'TooManyDrafts',
      )
    }
    await insertDrafts(tx, [row])
    return tx.selectFrom('schedulerDraft').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow()
  })
  return {
    draft,
    writes,
    triggerUrl: triggerSecret ? `${ctx.cfg.publicUrl}/triggers/${triggerSecret}` : undefined,
  }
}

export function hashTriggerSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** Fields every proxied write response carries besides the PDS's own. */
export function draftFields(created: CreatedDraft) {
  return {
    draftId: created.draft.id,
    status: created.draft.status,
    scheduledAt: created.draft.scheduledAt?.toISOString(),
    triggerUrl: created.triggerUrl,
  }
}
