// The production shape on one machine: the firehose, the appview (with the dashboard) and the scheduler, each
// with its own database pool and Redis connection, behind the real nginx with Sundial's config, on a local
// atproto network (PLC, PDS, Jetstream server). Everything a client or the operator does goes through nginx.
import { mkdtemp, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Agent } from '@atproto/api'
import type { AtpAgent } from '@atproto/api'
import type { LexiconDoc } from '@atproto/lexicon'
import { createTestDatabase, dropDatabase, freePort, startDevNetwork } from '@sundial/devnet'
import type { DevNetwork, DevUser, TestDatabase } from '@sundial/devnet'
import { schemas as sundialSchemas } from '@sundial/lexicon'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { AppView, readConfig as readAppViewConfig } from '../../services/appview/src/index.ts'
import { FirehoseService, readConfig as readFirehoseConfig } from '../../services/firehose/src/index.ts'
import { SchedulerService, readConfig as readSchedulerConfig } from '../../services/scheduler/src/index.ts'
import { launchChromium } from './browser.ts'
import type { Browser } from './browser.ts'
import { startNginx } from './nginx-runner.ts'
import type { RunningNginx } from './nginx-runner.ts'
import { startRedis } from './redis.ts'
import type { RunningRedis } from './redis.ts'

const SERVICE_DID = 'did:web:sundial.test'
const ADMIN_PASSWORD = 'operator password for the stack test'

/** An @atproto/api client of Sundial through nginx; each call carries a service token from the user's PDS. */
function sundialClient(url: string, pds?: AtpAgent): Agent {
  const agent = new Agent(async (pathname, init) => {
    const headers = new Headers(init.headers)
    if (pds) {
      const lxm = new URL(pathname, url).pathname.replace(/^\/xrpc\//, '')
      const { data } = await pds.com.atproto.server.getServiceAuth({ aud: SERVICE_DID, lxm })
      headers.set('authorization', `Bearer ${data.token}`)
    }
    return fetch(new URL(pathname, url), { ...init, headers })
  })
  for (const doc of sundialSchemas) agent.lex.add(doc as LexiconDoc)
  return agent
}

/** A raw XRPC call through nginx with a service token (the scheduler's methods and ALF-style headers). */
async function xrpc(
  base: string,
  user: DevUser,
  nsid: string,
  opts: { body?: unknown; query?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { data } = await user.agent.com.atproto.server.getServiceAuth({ aud: SERVICE_DID, lxm: nsid })
  const url = new URL(`/xrpc/${nsid}`, base)
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v)
  const res = await fetch(url, {
    method: opts.body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${data.token}`,
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
}

/** Polls until `done`; a read that throws (e.g. "not found" before the firehose got there) counts as not yet. */
async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let last: unknown
    try {
      const value = await read()
      if (done(value)) return value
      last = value
    } catch (err) {
      last = err instanceof Error ? err.message : err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('Sundial behind nginx on a local network', () => {
  let net: DevNetwork
  let database: TestDatabase
  let redis: RunningRedis
  let firehose: FirehoseService
  let appview: AppView
  let scheduler: SchedulerService
  let nginx: RunningNginx
  let dataDir: string
  let base: string
  let alice: DevUser
  let bob: DevUser
  let bobPostUri: string
  let scheduledUri: string

  beforeAll(async () => {
    const adminUrl = inject('pgAdminUrl')
    net = await startDevNetwork()
    database = await createTestDatabase(adminUrl, 'stack')
    redis = await startRedis()
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'sundial-stack-'))
    const nginxPort = await freePort()
    base = `http://127.0.0.1:${nginxPort}`
    const shared = {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      PLC_URL: net.plcUrl,
      JETSTREAM_URL: net.jetstream.subscribeUrl,
      SERVICE_DID,
      PUBLIC_URL: base,
      LOG_LEVEL: 'warn',
    }

    firehose = await FirehoseService.create(
      readFirehoseConfig({ ...shared, PORT: '0', FIREHOSE_STATS_MS: '500', FIREHOSE_BATCH_MS: '20' }),
    )
    await firehose.start()
    appview = await AppView.create(
      readAppViewConfig({ ...shared, PORT: String(await freePort()), ADMIN_PASSWORD }),
    )
    await appview.start()
    scheduler = await SchedulerService.create(
      readSchedulerConfig({
        ...shared,
        PORT: String(await freePort()),
        DATA_DIR: dataDir,
        ENCRYPTION_KEY: 'b2'.repeat(32),
        OAUTH_HANDLE_RESOLVER_URL: net.pdsUrl,
      }),
    )
    await scheduler.start()
    nginx = await startNginx({
      port: nginxPort,
      vars: {
        APPVIEW_UPSTREAM: `127.0.0.1:${appview.port}`,
        SCHEDULER_UPSTREAM: `127.0.0.1:${scheduler.port}`,
      },
    })

    alice = await net.createUser('alice')
    bob = await net.createUser('bob')
    await bob.agent.com.atproto.repo.putRecord({
      repo: bob.did,
      collection: 'app.bsky.actor.profile',
      rkey: 'self',
      record: { $type: 'app.bsky.actor.profile', displayName: 'Bob Builder' },
    })
    await alice.agent.follow(bob.did)
    bobPostUri = (await bob.agent.post({ text: 'hello from bob' })).uri
    await net.sync()
  })

  afterAll(async () => {
    await nginx?.stop()
    await scheduler?.destroy()
    await appview?.destroy()
    await firehose?.destroy()
    await redis?.stop()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
    await net?.close()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  it('serves the DID document, health and app.bsky reads through nginx', async () => {
    const did = (await (await fetch(`${base}/.well-known/did.json`)).json()) as { id: string }
    expect(did.id).toBe(SERVICE_DID)
    const health = await fetch(`${base}/xrpc/_health`)
    expect(health.status).toBe(200)

    // Jetstream → firehose → Postgres → appview → nginx.
    const reader = sundialClient(base, alice.agent)
    const profile = await until(
      "bob's profile",
      () => reader.app.bsky.actor.getProfile({ actor: bob.did }).then((r) => r.data),
      (p) => p.displayName === 'Bob Builder',
    )
    expect(profile.handle).toBe(bob.handle)
    const timeline = await until(
      "alice's timeline",
      () => reader.app.bsky.feed.getTimeline({ limit: 30 }).then((r) => r.data.feed),
      (feed) => feed.some((item) => item.post.uri === bobPostUri),
    )
    expect(timeline[0].post.author.did).toBe(bob.did)
  })

  it('takes a scheduled write through nginx, publishes it, confirms it, and shows it in the timeline', async () => {
    const { data: appPassword } = await alice.agent.com.atproto.server.createAppPassword({ name: 'sundial' })
    const registered = await xrpc(base, alice, 'dev.sundial.scheduler.putAppPassword', {
      body: { appPassword: appPassword.password },
    })
    expect(registered.status).toBe(200)

    const created = await xrpc(base, alice, 'com.atproto.repo.createRecord', {
      body: {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: {
          $type: 'app.bsky.feed.post',
          text: 'scheduled through nginx',
          createdAt: new Date().toISOString(),
        },
      },
      headers: { 'x-scheduled-at': new Date(Date.now() + 1500).toISOString() },
    })
    expect(created.status).toBe(200)
    expect(created.body.status).toBe('scheduled')
    scheduledUri = created.body.uri as string

    const draft = await until(
      'the draft to be confirmed',
      () =>
        xrpc(base, alice, 'dev.sundial.scheduler.getDraft', {
          query: { id: created.body.draftId as string },
        }).then((r) => r.body.draft as Record<string, unknown>),
      (d) => d.status === 'confirmed',
    )
    expect(draft.publishedUri).toBe(scheduledUri)

    const reader = sundialClient(base, alice.agent)
    const feed = await until(
      'the scheduled post in the timeline',
      () => reader.app.bsky.feed.getTimeline({ limit: 30 }).then((r) => r.data.feed),
      (items) => items.some((item) => item.post.uri === scheduledUri),
    )
    expect(feed.map((item) => item.post.uri)).toEqual(expect.arrayContaining([scheduledUri, bobPostUri]))
  })

  it('fires a one-time trigger URL through nginx exactly once', async () => {
    const created = await xrpc(base, alice, 'com.atproto.repo.createRecord', {
      body: {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: { $type: 'app.bsky.feed.post', text: 'triggered', createdAt: new Date().toISOString() },
      },
      headers: { 'x-trigger': 'webhook' },
    })
    expect(created.status).toBe(200)
    const triggerUrl = created.body.triggerUrl as string
    // The scheduler's PUBLIC_URL is nginx's address, so the URL it hands out works from outside.
    expect(triggerUrl.startsWith(`${base}/triggers/`)).toBe(true)
    expect((await fetch(triggerUrl, { method: 'POST' })).status).toBe(202)
    expect((await fetch(triggerUrl, { method: 'POST' })).status).toBe(409)
  })

  it('keeps metrics on the services and away from the public side', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(404)
    const direct = await fetch(`http://127.0.0.1:${appview.port}/metrics`)
    expect(direct.status).toBe(200)
    expect(await direct.text()).toContain('sundial_')
  })

  describe('the operator dashboard through nginx', () => {
    let browser: Browser
    let page: Page
    const pageErrors: string[] = []

    beforeAll(async () => {
      browser = await launchChromium()
      page = browser.context.pages()[0] ?? (await browser.context.newPage())
      page.on('pageerror', (err) => pageErrors.push(err.message))
    })

    afterAll(async () => {
      await browser?.close()
    })

    it('signs in and shows the live system: ingest, the confirmed publish, local users', async () => {
      await page.goto(`${base}/dashboard`)
      await page.waitForURL(/\/dashboard\/login$/)
      await page.fill('#password', ADMIN_PASSWORD)
      await page.click('button[type=submit]')
      await page.waitForURL(/\/dashboard\/$/)

      await expect
        .poll(async () => Number(await page.textContent('[data-field="drafts-confirmed"]')), {
          timeout: 15_000,
        })
        .toBeGreaterThanOrEqual(1)
      await expect.poll(() => page.textContent('[data-field="ingest-connected"]')).toBe('firehose: connected')
      expect(Number(await page.textContent('[data-field="users-total"]'))).toBeGreaterThanOrEqual(1)
      expect(await page.textContent('[data-field="confirm-p50"]')).toMatch(/\d/)
      expect(await page.textContent('#table-cursors')).toContain('firehose')

      // Posting moves the ingest rate off zero (the firehose reports events/s every 500 ms, the page polls every 2 s).
      const posting = (async () => {
        for (let i = 0; i < 15; i++) {
          await bob.agent.post({ text: `burst ${i}` })
          await new Promise((r) => setTimeout(r, 250))
        }
      })()
      await expect
        .poll(async () => Number(await page.textContent('[data-field="ingest-rate"]')), { timeout: 15_000 })
        .toBeGreaterThan(0)
      await posting
      expect(await page.textContent('#table-collections')).toContain('post')

      const dir = await mkdtemp(path.join(os.tmpdir(), 'sundial-stack-shot-'))
      const shot = path.join(dir, 'dashboard.png')
      await page.screenshot({ path: shot, fullPage: true })
      expect((await stat(shot)).size).toBeGreaterThan(20_000)
      console.log(`stack dashboard screenshot: ${shot}`)
      expect(pageErrors).toEqual([])
    })
  })
})
