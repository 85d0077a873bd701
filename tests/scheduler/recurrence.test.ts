import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { listAll, sleep, startScheduler, startStack, SchedulerClient } from './harness.ts'
import type { RunningScheduler, Stack } from './harness.ts'

const template = { $type: 'app.bsky.feed.post', text: 'good morning', createdAt: new Date().toISOString() }

describe('scheduler: recurring schedules', () => {
  let stack: Stack
  let scheduler: RunningScheduler
  let alice: SchedulerClient
  let content: http.Server
  let contentHost: string
  const contentRequests: string[] = []

  beforeAll(async () => {
    stack = await startStack(inject('pgAdminUrl'))
    // Dynamic content: a record built at publish time from the occurrence it is asked for.
    content = http.createServer((req, res) => {
      contentRequests.push(req.url ?? '')
      const occurrence = new URL(req.url ?? '/', 'http://x').searchParams.get('occurrence')
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ text: `weather for ${occurrence}`, createdAt: new Date().toISOString() }))
    })
    await new Promise<void>((resolve) => content.listen(0, '127.0.0.1', resolve))
    contentHost = `127.0.0.1:${(content.address() as AddressInfo).port}`
    scheduler = await startScheduler(stack, { DYNAMIC_CONTENT_ALLOWED_HOSTS: contentHost })
    alice = new SchedulerClient(await stack.net.createUser('alice'), scheduler.url)
    await alice.registerAppPassword()
  })

  afterAll(async () => {
    await scheduler?.close()
    await new Promise((resolve) => content?.close(resolve))
    await stack?.close()
  })

  async function schedule(id: string) {
    const res = await alice.ok('dev.sundial.scheduler.getSchedule', undefined, {
      query: { id, upcoming: '3' },
    })
    return res.schedule as Record<string, unknown>
  }

  /** The schedule's waiting draft once it differs from `previous`. */
  async function nextPending(id: string, previous?: string) {
    const deadline = Date.now() + 20_000
    for (;;) {
      const s = await schedule(id)
      if (s.pendingDraftId && s.pendingDraftId !== previous) return alice.draft(s.pendingDraftId as string)
      if (Date.now() > deadline) throw new Error(`no new pending draft: ${JSON.stringify(s)}`)
      await sleep(100)
    }
  }

  // Each schedule's first occurrence is moved to a few seconds from now (an exception), so we can watch it
  // publish and then see the next occurrence chained on the far side of a DST change.
  for (const zone of [
    {
      timezone: 'America/New_York',
      rrule: 'FREQ=DAILY;COUNT=5',
      start: '2027-03-13T09:00',
      first: '2027-03-13T14:00:00.000Z', // EST, UTC-5
      afterDst: ['2027-03-14T13:00:00.000Z', '2027-03-15T13:00:00.000Z'], // EDT, UTC-4
    },
    {
      timezone: 'Europe/Berlin',
      rrule: 'FREQ=WEEKLY;BYDAY=SU',
      start: '2027-03-21T10:30',
      first: '2027-03-21T09:30:00.000Z', // CET, UTC+1
      afterDst: ['2027-03-28T08:30:00.000Z', '2027-04-04T08:30:00.000Z'], // CEST, UTC+2
    },
  ]) {
    it(`publishes an occurrence and chains the next one across DST in ${zone.timezone}`, async () => {
      const moveTo = new Date(Date.now() + 1500).toISOString()
      const created = await alice.ok('dev.sundial.scheduler.createSchedule', {
        collection: 'app.bsky.feed.post',
        record: template,
        rrule: zone.rrule,
        timezone: zone.timezone,
        start: zone.start,
        exceptions: [
          { occurrence: zone.first, moveTo, record: { ...template, text: `moved in ${zone.timezone}` } },
        ],
      })
      const s = created.schedule as Record<string, unknown>
      const first = await alice.draft(s.pendingDraftId as string)
      expect(first.occurrenceAt).toBe(zone.first)
      expect(first.scheduledAt).toBe(moveTo)
      await alice.waitFor(first.id as string, ['confirmed'])
      const posts = await listAll(stack.net, alice.did, 'app.bsky.feed.post')
      expect(posts.filter((p) => p.value.text === `moved in ${zone.timezone}`)).toHaveLength(1)

      // Chained in the publish transaction: the next occurrence, same wall-clock time, new UTC offset.
      const second = await nextPending(s.id as string, first.id as string)
      expect(second.scheduledAt).toBe(zone.afterDst[0])
      expect(second.status).toBe('scheduled')
      const after = await schedule(s.id as string)
      expect(after.fireCount).toBe(1)
      expect((after.upcoming as string[]).slice(0, 2)).toEqual(zone.afterDst)
    })
  }

  it('skips an occurrence, pauses and resumes', async () => {
    const created = await alice.ok('dev.sundial.scheduler.createSchedule', {
      collection: 'app.bsky.feed.post',
      record: template,
      rrule: 'FREQ=DAILY',
      timezone: 'Asia/Tokyo',
      start: '2027-01-01T08:00',
    })
    const s = created.schedule as Record<string, unknown>
    const firstId = s.pendingDraftId as string
    expect((await alice.draft(firstId)).scheduledAt).toBe('2026-12-31T23:00:00.000Z')

    const skipped = await alice.ok('dev.sundial.scheduler.updateSchedule', {
      id: s.id,
      exceptions: [{ occurrence: '2026-12-31T23:00:00.000Z', skip: true }],
    })
    const afterSkip = skipped.schedule as Record<string, unknown>
    expect((await alice.draft(afterSkip.pendingDraftId as string)).scheduledAt).toBe(
      '2027-01-01T23:00:00.000Z',
    )
    expect(
      (await alice.call('dev.sundial.scheduler.getDraft', undefined, { query: { id: firstId } })).body.error,
    ).toBe('DraftNotFound')

    const paused = (await alice.ok('dev.sundial.scheduler.updateSchedule', { id: s.id, paused: true }))
      .schedule as Record<string, unknown>
    expect(paused.paused).toBe(true)
    expect(paused.pendingDraftId).toBeUndefined()
    expect(paused.nextOccurrenceAt).toBeUndefined()

    const resumed = (await alice.ok('dev.sundial.scheduler.updateSchedule', { id: s.id, paused: false }))
      .schedule as Record<string, unknown>
    expect((await alice.draft(resumed.pendingDraftId as string)).scheduledAt).toBe('2027-01-01T23:00:00.000Z')

    const listed = await alice.ok('dev.sundial.scheduler.listSchedules')
    expect((listed.schedules as Array<{ id: string }>).map((x) => x.id)).toContain(s.id)

    await alice.ok('dev.sundial.scheduler.deleteSchedule', { id: s.id })
    expect(
      (await alice.call('dev.sundial.scheduler.getSchedule', undefined, { query: { id: s.id as string } }))
        .body.error,
    ).toBe('ScheduleNotFound')
    expect(
      (
        await alice.call('dev.sundial.scheduler.getDraft', undefined, {
          query: { id: resumed.pendingDraftId as string },
        })
      ).body.error,
    ).toBe('DraftNotFound')
  })

  it('fetches dynamic content from an allow-listed URL at publish time', async () => {
    const occurrence = '2027-06-01T06:00:00.000Z'
    const created = await alice.ok('dev.sundial.scheduler.createSchedule', {
      collection: 'app.bsky.feed.post',
      contentUrl: `http://${contentHost}/today`,
      rrule: 'FREQ=DAILY;COUNT=2',
      timezone: 'UTC',
      start: '2027-06-01T06:00',
      exceptions: [{ occurrence, moveTo: new Date(Date.now() + 1000).toISOString() }],
    })
    const first = (created.schedule as Record<string, unknown>).pendingDraftId as string
    expect((await alice.draft(first)).record).toBeUndefined()
    await alice.waitFor(first, ['confirmed'])
    const posts = await listAll(stack.net, alice.did, 'app.bsky.feed.post')
    expect(posts.filter((p) => p.value.text === `weather for ${occurrence}`)).toHaveLength(1)
    expect(contentRequests.some((u) => u.startsWith('/today?occurrence='))).toBe(true)

    const refused = await alice.call('dev.sundial.scheduler.createSchedule', {
      collection: 'app.bsky.feed.post',
      contentUrl: 'http://169.254.169.254/latest',
      rrule: 'FREQ=DAILY',
      timezone: 'UTC',
      start: '2027-06-01T06:00',
    })
    expect(refused.body.error).toBe('ContentUrlNotAllowed')
  })

  it('rejects bad rules with InvalidRecurrence', async () => {
    for (const bad of [
      { rrule: 'FREQ=MINUTELY', timezone: 'UTC', start: '2027-01-01T00:00' },
      { rrule: 'FREQ=DAILY', timezone: 'Nowhere/City', start: '2027-01-01T00:00' },
      { rrule: 'FREQ=DAILY', timezone: 'UTC', start: '2027-01-01T00:00Z' },
      { rrule: 'not a rule', timezone: 'UTC', start: '2027-01-01T00:00' },
    ]) {
      const res = await alice.call('dev.sundial.scheduler.createSchedule', {
        collection: 'app.bsky.feed.post',
        record: template,
        ...bad,
      })
      expect(res.status, JSON.stringify(bad)).toBe(400)
      expect(res.body.error, JSON.stringify(bad)).toBe('InvalidRecurrence')
    }
  })
})
