import { DateTime, IANAZone } from 'luxon'
import rrule from 'rrule'
import type { Options as RRuleOptions, RRule as RRuleType } from 'rrule'

const { RRule } = rrule

export interface ScheduleException {
  /** The occurrence as the rule generates it (an instant). */
  occurrence: string
  skip?: boolean
  moveTo?: string
  record?: Record<string, unknown>
}

export interface RecurrenceSpec {
  rrule: string
  timezone: string
  /** Wall-clock DTSTART in `timezone`: YYYY-MM-DDTHH:mm[:ss]. */
  start: string
  exceptions: ScheduleException[]
}

export interface PlannedOccurrence {
  /** The rule's occurrence (identifies it, even when moved). */
  occurrenceAt: Date
  /** When to publish: the occurrence, or where an exception moved it. */
  publishAt: Date
  /** Replacement record from an exception, if any. */
  record?: Record<string, unknown>
}

export type ParseResult = { ok: true; recurrence: Recurrence } | { ok: false; message: string }

const START_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/

/** Upper bound on occurrences walked per question, so a pathological rule cannot stall a request. */
const MAX_STEPS = 100_000

/**
 * An RFC 5545 RRULE evaluated in wall-clock time of an IANA zone. The rule is expanded by `rrule` in
 * "floating" time (wall-clock values carried in UTC fields, where no DST exists) and each wall-clock
 * occurrence is then placed in the zone with luxon, so 09:00 stays 09:00 across DST changes. A wall time
 * that does not exist (the spring-forward gap) moves forward by the gap; an ambiguous one (fall-back) takes
 * the earlier, pre-transition offset.
 */
export class Recurrence {
  private constructor(
    readonly spec: RecurrenceSpec,
    private readonly rule: RRuleType,
  ) {}

  static parse(spec: RecurrenceSpec): ParseResult {
    if (!IANAZone.isValidZone(spec.timezone))
      return { ok: false, message: `Unknown time zone: ${spec.timezone}` }
    const m = START_RE.exec(spec.start)
    if (!m)
      return { ok: false, message: 'start must be a wall-clock time YYYY-MM-DDTHH:mm[:ss] without offset' }
    const dtstart = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], m[6] ? +m[6] : 0))
    if (Number.isNaN(dtstart.getTime())) return { ok: false, message: 'start is not a valid date' }
    const text = spec.rrule.trim().replace(/^RRULE:/i, '')
    if (/DTSTART|TZID/i.test(text)) {
      return { ok: false, message: 'rrule must not carry DTSTART or TZID; use start and timezone' }
    }
    let options: Partial<RRuleOptions>
    try {
      options = RRule.parseString(text)
    } catch (err) {
      return { ok: false, message: `Invalid rrule: ${err instanceof Error ? err.message : String(err)}` }
    }
    if (options.freq === undefined) return { ok: false, message: 'Invalid rrule: FREQ is required' }
    if (options.freq > RRule.DAILY || options.byhour || options.byminute || options.bysecond) {
      // Sub-daily rules would fire more often than a scheduler for posts should.
      return { ok: false, message: 'rrule FREQ must be DAILY or coarser, without BYHOUR/BYMINUTE/BYSECOND' }
    }
    if (options.until) {
      // UNTIL is an instant (RFC 5545 requires UTC when a zone applies): compare in the zone's wall clock.
      options.until = toFloating(options.until, spec.timezone)
    }
    for (const ex of spec.exceptions) {
      if (Number.isNaN(Date.parse(ex.occurrence)))
        return { ok: false, message: `Invalid exception occurrence` }
      if (ex.moveTo !== undefined && Number.isNaN(Date.parse(ex.moveTo))) {
        return { ok: false, message: `Invalid exception moveTo` }
      }
    }
    let rule: RRuleType
    try {
      rule = new RRule({ ...options, dtstart, tzid: null })
    } catch (err) {
      return { ok: false, message: `Invalid rrule: ${err instanceof Error ? err.message : String(err)}` }
    }
    return { ok: true, recurrence: new Recurrence(spec, rule) }
  }

  /** Rule occurrences strictly after `after`, in order, before exceptions. */
  *occurrencesAfter(after: Date): Generator<Date> {
    // Start a day early in wall-clock terms: an instant and its wall time can be out of order around DST.
    let cursor: Date | null = new Date(toFloating(after, this.spec.timezone).getTime() - 86_400_000)
    let inclusive = true
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      cursor = this.rule.after(cursor, inclusive)
      inclusive = false
      if (!cursor) return
      const instant = fromFloating(cursor, this.spec.timezone)
      if (instant.getTime() > after.getTime()) yield instant
    }
  }

  /**
   * The next occurrence to publish: the first rule occurrence after `afterOccurrence` whose publish time
   * (after exceptions) is later than `notBefore`. Skipped occurrences are passed over.
   */
  next(afterOccurrence: Date, notBefore: Date = afterOccurrence): PlannedOccurrence | null {
    const exceptions = new Map(this.spec.exceptions.map((e) => [Date.parse(e.occurrence), e]))
    for (const occurrence of this.occurrencesAfter(afterOccurrence)) {
      const ex = exceptions.get(occurrence.getTime())
      if (ex?.skip) continue
      const publishAt = ex?.moveTo ? new Date(ex.moveTo) : occurrence
      if (publishAt.getTime() <= notBefore.getTime()) continue
      return { occurrenceAt: occurrence, publishAt, record: ex?.record }
    }
    return null
  }

  /** The next `count` planned publications after `from`. */
  upcoming(from: Date, count: number): PlannedOccurrence[] {
    const out: PlannedOccurrence[] = []
    let after = new Date(from.getTime())
    while (out.length < count) {
      const next = this.next(after, from)
      if (!next) break
      out.push(next)
      after = next.occurrenceAt
    }
    return out
  }
}

/** The zone's wall-clock time at `instant`, carried in UTC fields. */
function toFloating(instant: Date, zone: string): Date {
  const local = DateTime.fromJSDate(instant, { zone })
  return new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second))
}

/** The instant at which the zone's clock shows the floating wall-clock time. */
function fromFloating(floating: Date, zone: string): Date {
  return DateTime.fromObject(
    {
      year: floating.getUTCFullYear(),
      month: floating.getUTCMonth() + 1,
      day: floating.getUTCDate(),
      hour: floating.getUTCHours(),
      minute: floating.getUTCMinutes(),
      second: floating.getUTCSeconds(),
    },
    { zone },
  ).toJSDate()
}
