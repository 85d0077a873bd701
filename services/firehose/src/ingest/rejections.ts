import type { Logger } from '../logger.ts'
import type { FirehoseMetrics } from '../metrics.ts'

/** Why an event or frame was skipped; the label of `sundial_firehose_invalid_events_total`. */
export type InvalidReason =
  | 'malformed_json'
  | 'incomplete_event'
  | 'unknown_kind'
  | 'invalid_time'
  | 'invalid_did'
  | 'invalid_nsid'
  | 'unwanted_collection'
  | 'invalid_operation'
  | 'invalid_rkey'
  | 'invalid_rev'
  | 'invalid_cid'
  | 'invalid_record'
  | 'nul_character'
  | 'invalid_unicode'
  | 'oversized'
  | 'invalid_handle'
  | 'invalid_account'
  | 'db_rejected'

export interface Rejection {
  ok: false
  reason: InvalidReason
  detail?: string
}

export function reject(reason: InvalidReason, detail?: string): Rejection {
  return { ok: false, reason, detail }
}

/**
 * Counts every skipped event and logs each reason at most once per interval (with how many were skipped since
 * the last line), so a stream full of junk cannot flood the logs.
 */
export class RejectionLog {
  private lastLogged = new Map<InvalidReason, number>()
  private unlogged = new Map<InvalidReason, number>()

  constructor(
    private metrics: FirehoseMetrics,
    private logger: Logger,
    private intervalMs = 60_000,
  ) {}

  record(rejection: Rejection, event?: { did?: unknown; timeUs?: number; uri?: string }): void {
    const { reason } = rejection
    this.metrics.invalidEvents.inc({ reason })
    const now = Date.now()
    const last = this.lastLogged.get(reason)
    if (last !== undefined && now - last < this.intervalMs) {
      this.unlogged.set(reason, (this.unlogged.get(reason) ?? 0) + 1)
      return
    }
    const suppressed = this.unlogged.get(reason) ?? 0
    this.unlogged.delete(reason)
    this.lastLogged.set(reason, now)
    this.logger.warn(
      {
        reason,
        detail: rejection.detail?.slice(0, 300),
        did: typeof event?.did === 'string' ? event.did.slice(0, 200) : undefined,
        uri: event?.uri?.slice(0, 300),
        timeUs: event?.timeUs,
        suppressedSinceLast: suppressed,
      },
      'skipped invalid jetstream event',
    )
  }
}
