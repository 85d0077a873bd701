import { mkdtemp, stat } from 'node:fs/promises'
import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import express from 'express'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { LocalBus, createLogger } from '@sundial/common'
import type { Db } from '@sundial/common'
import { SCHEDULER_WAKE_CHANNEL, createDashboardRouter } from '@sundial/dashboard'
import type { DashboardRouter } from '@sundial/dashboard'
import { createTestDatabase } from '@sundial/devnet'
import pg from 'pg'
import { WAKE_CHANNEL } from '../../services/scheduler/src/db/notify.ts'
import type { TestDatabase } from '@sundial/devnet'
import { launchChromium } from './browser.ts'
import type { Browser } from './browser.ts'

const PASSWORD = 'correct horse battery staple'
const ALICE = 'did:plc:alice0000000000000000000'
const BOB = 'did:plc:bob000000000000000000000'

/**
 * A stand-in firehose: advances the cursor row and publishes its live numbers on the Bus in the firehose's own
 * format (services/firehose/src/stats.ts), with rates that wobble so the page has something to show moving.
 */
class FakeIngest {
  private timer: NodeJS.Timeout | undefined
  private n = 0
  constructor(
    private db: Db,
    private bus: LocalBus,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), 250)
  }

  stop(): void {
    clearInterval(this.timer)
  }

  async tick(): Promise<void> {
    this.n++
    const posts = 150 + 30 * Math.sin(this.n / 3)
    const timeUs = (Date.now() - 1500) * 1000
    await this.db
      .insertInto('cursor')
      .values({ name: 'firehose', timeUs })
      .onConflict((oc) => oc.column('name').doUpdateSet({ timeUs, updatedAt: new Date() }))
      .execute()
    const rates = {
      'app.bsky.feed.post': posts,
      'app.bsky.feed.like': posts * 3,
      'app.bsky.feed.repost': posts / 2,
      'app.bsky.graph.follow': posts / 4,
    }
    const fields: Record<string, string | number> = {
      cursor: timeUs,
      connected: 1,
      paused: 0,
      queueDepth: 12,
      eventsPerSec: Math.round(Object.values(rates).reduce((a, b) => a + b, 0) * 10) / 10,
    }
    for (const [c, r] of Object.entries(rates)) fields[`eventsPerSec.${c}`] = Math.round(r * 10) / 10
    await this.bus.setStats('firehose', fields)
  }
}

describe('operator dashboard in Chromium', () => {
  let database: TestDatabase
  let bus: LocalBus
  let dashboard: DashboardRouter
  let server: http.Server
  let baseUrl: string
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let ingest: FakeIngest
  let failedId: string
  let failedJobId: string
  const pageErrors: string[] = []

  beforeAll(async () => {
    database = await createTestDatabase(inject('pgAdminUrl'), 'dashboard')
    const db = database.db
    bus = new LocalBus()
    ingest = new FakeIngest(db, bus)
    // What the scheduler publishes (services/scheduler/src/stats.ts) after a publish and a confirmation.
    await bus.setStats(
      'scheduler',
      {
        published: 1,
        confirmed: 1,
        failed: 1,
        inFlight: 0,
        awaitingConfirmation: 1,
        wantedDids: 3,
        lastLatenessMs: 12,
        lastConfirmMs: 400,
      },
      3600,
    )

    await db
      .insertInto('actor')
      .values([
        { did: ALICE, handle: 'alice.test' },
        { did: BOB, handle: 'bob.test' },
      ])
      .execute()
    await db
      .insertInto('localUser')
      .values([
        { did: ALICE, timelineBuiltAt: new Date(), completeSince: new Date() },
        { did: BOB, timelineBuiltAt: new Date(), completeSince: null },
      ])
      .execute()
    const now = Date.now()
    const draft = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
      id,
      ownerDid: ALICE,
      status: status as 'failed',
      operation: 'create' as const,
      collection: 'app.bsky.feed.post',
      rkey: id,
      uri: `at://${ALICE}/app.bsky.feed.post/${id}`,
      record: JSON.stringify({
        $type: 'app.bsky.feed.post',
        text: 'hello',
        createdAt: new Date().toISOString(),
      }),
      ...extra,
    })
    failedId = '3kfaileddraft1'
    await db
      .insertInto('schedulerDraft')
      .values([
        draft(failedId, 'failed', { attempts: 8, lastError: 'PDS answered 401: token revoked' }),
        draft('3kscheduled01', 'scheduled', { scheduledAt: new Date(now + 10 * 60_000) }),
        draft('3kconfirmed01', 'confirmed', {
          publishedAt: new Date(now - 5000),
          confirmedAt: new Date(now - 4600),
          confirmState: 'confirmed',
        }),
        draft('3kunconfirm01', 'published', {
          publishedAt: new Date(now - 120_000),
          confirmState: 'unconfirmed',
          confirmNote: 'not seen on Jetstream after 60 s; the PDS has the record',
        }),
      ])
      .execute()

    const carol = 'did:plc:carol00000000000000000000'
    const dave = 'did:plc:dave000000000000000000000'
    const erin = 'did:plc:erin000000000000000000000'
    const failedJob = await db
      .insertInto('backfillJob')
      .values([
        {
          did: carol,
          reason: 'follow',
          state: 'failed',
          attempts: 6,
          pdsHost: 'pds.b.test',
          lastError: 'getRepo: 502 Bad Gateway',
        },
      ])
      .returning('id')
      .executeTakeFirstOrThrow()
    failedJobId = String(failedJob.id)
    await db
      .insertInto('backfillJob')
      .values([
        { did: dave, reason: 'follow', state: 'running', pdsHost: 'pds.a.test' },
        {
          did: erin,
          reason: 'onboard',
          state: 'pending',
          pdsHost: 'pds.a.test',
          attempts: 1,
          lastError: 'timeout',
        },
        { did: BOB, reason: 'onboard', state: 'pending' },
      ])
      .execute()

    dashboard = createDashboardRouter({
      db,
      bus,
      logger: createLogger({ name: 'dashboard-test', level: 'silent' }),
      adminPassword: PASSWORD,
      adminToken: 'ops-token',
      sampleIntervalMs: 500,
    })
    const app = express()
    app.use('/dashboard', dashboard)
    server = app.listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    browser = await launchChromium()
    context = browser.context
    page = context.pages()[0] ?? (await context.newPage())
    page.on('pageerror', (err) => pageErrors.push(err.message))
  })

  afterAll(async () => {
    ingest?.stop()
    await browser?.close()
    await dashboard?.destroy()
    server?.closeAllConnections()
    await new Promise((r) => server?.close(r))
    await database?.close()
  })

  it('refuses the API without operator auth and accepts the bearer token', async () => {
    const anon = await fetch(`${baseUrl}/dashboard/api/live`)
    expect(anon.status).toBe(401)
    const wrong = await fetch(`${baseUrl}/dashboard/api/live`, { headers: { authorization: 'Bearer nope' } })
    expect(wrong.status).toBe(401)
    const ok = await fetch(`${baseUrl}/dashboard/api/live`, {
      headers: { authorization: 'Bearer ops-token' },
    })
    expect(ok.status).toBe(200)
    const page = await fetch(`${baseUrl}/dashboard/`, { redirect: 'manual' })
    expect(page.status).toBe(303)
    expect(page.headers.get('location')).toBe('/dashboard/login')
  })

  it('signs in, shows live numbers that move, and retries a failed draft', async () => {
    await page.goto(`${baseUrl}/dashboard/`)
    await page.waitForURL(/\/dashboard\/login$/)
    await page.fill('#password', 'wrong password')
    await page.click('button[type=submit]')
    await expect.poll(() => page.textContent('[role=alert]')).toContain('Wrong password')

    await page.fill('#password', PASSWORD)
    await page.click('button[type=submit]')
    await page.waitForURL(/\/dashboard\/$/)
    const cookies = await context.cookies()
    const session = cookies.find((c) => c.name === 'sundial_dashboard')
    expect(session?.httpOnly).toBe(true)
    expect(session?.sameSite).toBe('Strict')

    // Static numbers from Postgres.
    await expect.poll(() => page.textContent('[data-field="users-total"]')).toBe('2')
    await expect.poll(() => page.textContent('[data-field="users-complete"]')).toBe('1 of 2')
    await expect.poll(() => page.textContent('[data-field="drafts-failed"]')).toBe('1')
    await expect.poll(() => page.textContent('[data-field="drafts-unconfirmed"]')).toBe('1')
    await expect.poll(() => page.textContent('[data-field="drafts-scheduled"]')).toBe('1')
    expect(await page.textContent('#table-failed')).toContain('token revoked')
    expect(await page.textContent('#table-failed')).toContain('@alice.test')
    expect(await page.textContent('#table-unconfirmed')).toContain('the PDS has the record')
    expect(await page.textContent('[data-field="confirm-p50"]')).toBe('400 ms')
    expect(await page.textContent('[data-field="scheduler-live"]')).toBe(
      'last publish 12 ms after due · watching 3 accounts for confirmation',
    )

    // The backfill queue, per host, with the failure that needs the operator.
    await expect.poll(() => page.textContent('[data-field="backfill-depth"]')).toBe('2')
    expect(await page.textContent('[data-field="backfill-inflight"]')).toBe('1')
    expect(await page.textContent('[data-field="backfill-failed"]')).toBe('1')
    expect(await page.textContent('#table-hosts')).toContain('pds.a.test')
    expect(await page.textContent('#table-backfill-failures')).toContain('502 Bad Gateway')
    expect(await page.textContent('#table-backfill-failures')).toContain('retrying (attempt 1)')

    // Live numbers: events flow, the ingest rate appears and keeps changing.
    ingest.start()
    await expect
      .poll(async () => Number((await page.textContent('[data-field="ingest-rate"]'))?.replace(/,/g, '')), {
        timeout: 15_000,
      })
      .toBeGreaterThan(100)
    const first = await page.textContent('#table-collections')
    expect(first).toContain('post')
    expect(first).toContain('like')
    await expect
      .poll(() => page.textContent('[data-field="cursor-lag"]'), { timeout: 10_000 })
      .toMatch(/^\d+(\.\d)? s$/)
    // The rates wobble, so the table keeps changing.
    const ratesBefore = await page.textContent('#table-collections')
    await expect.poll(() => page.textContent('#table-collections'), { timeout: 10_000 }).not.toBe(ratesBefore)
    expect(await page.textContent('[data-field="ingest-connected"]')).toBe('firehose: connected')

    // Let the chart gather a few points, then look at it.
    await page.waitForTimeout(3000)
    const shots = await mkdtemp(path.join(os.tmpdir(), 'sundial-dashboard-shot-'))
    const shot = path.join(shots, 'dashboard.png')
    await page.screenshot({ path: shot, fullPage: true })
    expect((await stat(shot)).size).toBeGreaterThan(20_000)
    console.log(`dashboard screenshot: ${shot}`)
    // The ingest chart has drawn lines in the collection colours (post is blue).
    const bluePixels = await page.evaluate(() => {
      const canvas = document.getElementById('chart-ingest') as HTMLCanvasElement
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
      let n = 0
      for (let i = 0; i < data.length; i += 4) if (data[i] < 80 && data[i + 1] < 140 && data[i + 2] > 200) n++
      return n
    })
    expect(bluePixels).toBeGreaterThan(20)

    // Retry the failed draft: it goes back to the publisher, due now.
    // Listen where every scheduler replica listens for wake-ups.
    const listener = new pg.Client({ connectionString: database.url })
    await listener.connect()
    const wakes: string[] = []
    listener.on('notification', (n) => wakes.push(n.payload ?? ''))
    await listener.query(`LISTEN ${WAKE_CHANNEL}`)
    await page.click(`tr[data-draft="${failedId}"] button[data-action=retry]`)
    await expect.poll(() => page.textContent('#toast')).toContain('queued to publish again')
    const row = await database.db
      .selectFrom('schedulerDraft')
      .select(['status', 'wakeAt', 'attempts', 'lastError'])
      .where('id', '=', failedId)
      .executeTakeFirstOrThrow()
    expect(row.status).toBe('scheduled')
    // attempts restart at 1, so the publisher's next attempt first looks for a record an earlier one left.
    expect(row.attempts).toBe(1)
    expect(row.lastError).toBeNull()
    expect(row.wakeAt!.getTime()).toBeLessThanOrEqual(Date.now())
    await expect.poll(() => wakes.length).toBe(1)
    expect(Number(wakes[0])).toBe(row.wakeAt!.getTime())
    await listener.end()
    await expect.poll(() => page.textContent('[data-field="drafts-failed"]')).toBe('0')
    await expect.poll(() => page.isVisible('[data-empty="table-failed"]')).toBe(true)

    // Re-queue the failed backfill: a new pending job for the account, through the shared queue function.
    await page.click(`tr[data-job="${failedJobId}"] button[data-action=requeue]`)
    await expect.poll(() => page.textContent('#toast')).toContain('Backfill re-queued')
    const jobs = await database.db
      .selectFrom('backfillJob')
      .select(['state', 'reason'])
      .where('did', '=', 'did:plc:carol00000000000000000000')
      .orderBy('id')
      .execute()
    expect(jobs).toEqual([
      { state: 'failed', reason: 'follow' },
      { state: 'pending', reason: 'manual' },
    ])
    await expect.poll(() => page.textContent('[data-field="backfill-depth"]')).toBe('3')
    expect(await page.textContent('[data-field="backfill-failed"]')).toBe('0')

    // Retrying it again is refused: it is no longer failed.
    const again = await page.evaluate(async (id) => {
      const res = await fetch(`api/drafts/${id}/retry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      return res.status
    }, failedId)
    expect(again).toBe(409)

    // Actions refuse form posts (CSRF) even with a valid session.
    const formPost = await page.evaluate(async (id) => {
      const res = await fetch(`api/drafts/${id}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'x=1',
      })
      return res.status
    }, failedId)
    expect(formPost).toBe(415)
  })

  it('wakes the scheduler on the channel the scheduler listens on', () => {
    expect(SCHEDULER_WAKE_CHANNEL).toBe(WAKE_CHANNEL)
  })

  it('ran without script errors', () => {
    expect(pageErrors).toEqual([])
  })

  it('signs out', async () => {
    await page.click('form[action=logout] button')
    await page.waitForURL(/\/dashboard\/login$/)
    const status = await page.evaluate(async () => (await fetch('api/live')).status)
    expect(status).toBe(401)
  })
})
