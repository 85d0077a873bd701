import { describe, expect, it } from 'vitest'
import { Recurrence } from './recurrence.ts'
import type { RecurrenceSpec } from './recurrence.ts'

function parse(
  spec: Partial<RecurrenceSpec> & Pick<RecurrenceSpec, 'rrule' | 'timezone' | 'start'>,
): Recurrence {
  const result = Recurrence.parse({ exceptions: [], ...spec })
  if (!result.ok) throw new Error(result.message)
  return result.recurrence
}

const iso = (d: { publishAt: Date }) => d.publishAt.toISOString()

describe('Recurrence', () => {
  it('keeps 09:00 wall-clock across the US spring-forward change', () => {
    const r = parse({ rrule: 'FREQ=DAILY', timezone: 'America/New_York', start: '2026-03-06T09:00' })
    const got = r.upcoming(new Date('2026-03-06T00:00:00Z'), 4).map(iso)
    // EST is UTC-5 until Sunday 8 March 2026, EDT (UTC-4) after.
    expect(got).toEqual([
      '2026-03-06T14:00:00.000Z',
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z',
      '2026-03-09T13:00:00.000Z',
    ])
  })

  it('keeps weekly wall-clock across the EU fall-back change', () => {
    const r = parse({ rrule: 'FREQ=WEEKLY;BYDAY=SU', timezone: 'Europe/Berlin', start: '2026-10-18T10:30' })
    const got = r.upcoming(new Date('2026-10-01T00:00:00Z'), 3).map(iso)
    // CEST (UTC+2) until 25 October 2026 01:00 UTC, CET (UTC+1) after.
    expect(got).toEqual(['2026-10-18T08:30:00.000Z', '2026-10-25T09:30:00.000Z', '2026-11-01T09:30:00.000Z'])
  })

  it('moves a wall time inside the spring-forward gap forward', () => {
    const r = parse({ rrule: 'FREQ=DAILY;COUNT=3', timezone: 'Europe/Berlin', start: '2026-03-28T02:30' })
    const got = r.upcoming(new Date('2026-03-01T00:00:00Z'), 5).map(iso)
    expect(got).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z'])
  })

  it('applies skip, move and record overrides', () => {
    const base = { rrule: 'FREQ=DAILY;COUNT=4', timezone: 'UTC', start: '2026-01-01T12:00' }
    const r = parse({
      ...base,
      exceptions: [
        { occurrence: '2026-01-02T12:00:00.000Z', skip: true },
        {
          occurrence: '2026-01-03T12:00:00.000Z',
          moveTo: '2026-01-03T18:00:00.000Z',
          record: { text: 'moved' },
        },
      ],
    })
    const got = r.upcoming(new Date('2025-12-31T00:00:00Z'), 10)
    expect(got.map(iso)).toEqual([
      '2026-01-01T12:00:00.000Z',
      '2026-01-03T18:00:00.000Z',
      '2026-01-04T12:00:00.000Z',
    ])
    expect(got[1].occurrenceAt.toISOString()).toBe('2026-01-03T12:00:00.000Z')
    expect(got[1].record).toEqual({ text: 'moved' })
    expect(r.next(new Date('2026-01-04T12:00:00Z'))).toBeNull()
  })

  it('honours UNTIL as an instant', () => {
    const r = parse({
      rrule: 'FREQ=DAILY;UNTIL=20260103T080000Z',
      timezone: 'Asia/Tokyo',
      start: '2026-01-01T09:00',
    })
    expect(r.upcoming(new Date('2025-12-31T00:00:00Z'), 10).map(iso)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-02T00:00:00.000Z',
      '2026-01-03T00:00:00.000Z',
    ])
  })

  it('rejects bad input with a reason', () => {
    const bad = (spec: Partial<RecurrenceSpec>) =>
      Recurrence.parse({
        rrule: 'FREQ=DAILY',
        timezone: 'UTC',
        start: '2026-01-01T00:00',
        exceptions: [],
        ...spec,
      })
    expect(bad({ timezone: 'Mars/Olympus' })).toMatchObject({ ok: false })
    expect(bad({ start: '2026-01-01T00:00Z' })).toMatchObject({ ok: false })
    expect(bad({ rrule: 'FREQ=HOURLY' })).toMatchObject({ ok: false })
    expect(bad({ rrule: 'BOGUS' })).toMatchObject({ ok: false })
    expect(bad({})).toMatchObject({ ok: true })
  })
})
