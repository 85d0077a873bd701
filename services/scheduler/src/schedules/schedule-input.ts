import { lexToJson } from '@atproto/lexicon'
import { InvalidRequestError } from '@atproto/xrpc-server'
import type { SchedulerConfig } from '../config.ts'
import { isAllowedContentUrl } from '../publisher/dynamic-content.ts'
import type { JsonRecord } from '../records/record-cid.ts'
import { checkRecordPath, validateRecord } from '../records/validate.ts'
import { Recurrence } from '../recurrence/recurrence.ts'
import type { ScheduleException } from '../recurrence/recurrence.ts'

/** Checks a schedule's rule, record template and content URL, turning each problem into a clear XRPC error. */
export function checkRecurrence(spec: {
  rrule: string
  timezone: string
  start: string
  exceptions: ScheduleException[]
}): Recurrence {
  const parsed = Recurrence.parse(spec)
  if (!parsed.ok) throw new InvalidRequestError(parsed.message, 'InvalidRecurrence')
  return parsed.recurrence
}

export function checkTemplate(collection: string, record: unknown): JsonRecord {
  const json = lexToJson(record as never) as JsonRecord
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidRequestError('record must be an object', 'InvalidRecord')
  }
  const checked = validateRecord(collection, json, undefined)
  if (!checked.ok) throw new InvalidRequestError(`Invalid record: ${checked.message}`, 'InvalidRecord')
  return { ...json, $type: json.$type ?? collection }
}

export function checkCollection(collection: string): void {
  const err = checkRecordPath(collection, undefined)
  if (err) throw new InvalidRequestError(err)
}

export function checkContentUrl(cfg: SchedulerConfig, contentUrl: string): void {
  let url: URL
  try {
    url = new URL(contentUrl)
  } catch {
    throw new InvalidRequestError('contentUrl is not a URL', 'ContentUrlNotAllowed')
  }
  if (!isAllowedContentUrl(url, cfg.dynamicContentAllowedHosts)) {
    throw new InvalidRequestError(
      `contentUrl host ${url.host} is not allow-listed (DYNAMIC_CONTENT_ALLOWED_HOSTS)`,
      'ContentUrlNotAllowed',
    )
  }
}

export function normaliseExceptions(collection: string, raw: unknown[] | undefined): ScheduleException[] {
  return (raw ?? []).map((e) => {
    const ex = e as { occurrence: string; skip?: boolean; moveTo?: string; record?: unknown }
    return {
      occurrence: new Date(ex.occurrence).toISOString(),
      skip: ex.skip || undefined,
      moveTo: ex.moveTo ? new Date(ex.moveTo).toISOString() : undefined,
      record: ex.record !== undefined ? checkTemplate(collection, ex.record) : undefined,
    }
  })
}
