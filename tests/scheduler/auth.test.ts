import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { SecretBox } from '../../services/scheduler/src/outbound/encryption.ts'
import { sessionContext } from '../../services/scheduler/src/outbound/outbound-auth.ts'
import { listAll, startScheduler, startStack, SchedulerClient } from './harness.ts'
import type { RunningScheduler, Stack } from './harness.ts'

/** The part of the PDS's account database this test touches. */
interface PdsTokens {
  token: { did: string }
}

const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() })
const soon = () => new Date(Date.now() + 500).toISOString()

describe('scheduler: outbound auth', () => {
  let stack: Stack
  let scheduler: RunningScheduler

  beforeAll(async () => {
    stack = await startStack(inject('pgAdminUrl'))
    scheduler = await startScheduler(stack)
  })

  afterAll(async () => {
    await scheduler?.close()
    await stack?.close()
  })

  it('authorises through the PDS OAuth provider in Chromium, then publishes with that DPoP session', async () => {
    const carol = new SchedulerClient(await stack.net.createUser('carol'), scheduler.url)
    const before = await carol.ok('dev.sundial.scheduler.getAuthStatus')
    expect(before).toMatchObject({ did: carol.did, authorized: false })

    const profile = await mkdtemp(path.join(os.tmpdir(), 'sundial-oauth-chromium-'))
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
    })
    try {
      const page = await browser.newPage()
      // Sundial's own start URL redirects to the PDS's sign-in page.
      await page.goto(`${scheduler.url}/oauth/authorize?handle=${carol.user.handle}`)
      await page.fill('input[name=password]', carol.user.password)
      await page.keyboard.press('Enter')
      await page.getByRole('button', { name: 'Authorize' }).click()
      await page.waitForURL(/\/oauth\/callback\?/)
      await expect
        .poll(() => page.locator('body').innerText())
        .toContain(`Sundial can now publish for ${carol.did}`)
    } finally {
      await browser.close()
      await rm(profile, { recursive: true, force: true })
    }

    const status = await carol.ok('dev.sundial.scheduler.getAuthStatus')
    expect(status).toMatchObject({
      authorized: true,
      kind: 'oauth',
      pdsUrl: stack.net.pdsUrl,
      status: 'active',
    })
    // Nothing secret is stored in the clear.
    const stored = await sql<{
      valueEnc: Buffer
    }>`select value_enc from scheduler_oauth_session where sub = ${carol.did}`.execute(stack.database.db)
    expect(stored.rows).toHaveLength(1)
    expect(stored.rows[0].valueEnc.toString('latin1')).not.toMatch(/refresh_token|access_token|"d":/)

    const res = await carol.ok(
      'com.atproto.repo.createRecord',
      {
        repo: carol.did,
        collection: 'app.bsky.feed.post',
        record: post('via oauth'),
      },
      { headers: { 'x-scheduled-at': soon() } },
    )
    const d = await carol.waitFor(res.draftId as string, ['confirmed'])
    const posts = await listAll(stack.net, carol.did, 'app.bsky.feed.post')
    expect(posts.map((p) => p.uri)).toEqual([res.uri])
    expect(posts[0].cid).toBe(d.publishedCid)

    // Carol revokes Sundial at her PDS (it deletes the grant's tokens), and the access token Sundial holds runs
    // out: the next draft fails once, with the reason, and the account is marked revoked instead of retrying.
    const pds = (
      stack.net.network.pds as unknown as { ctx: { accountManager: { db: { db: Kysely<PdsTokens> } } } }
    ).ctx
    const revoked = await pds.accountManager.db.db
      .deleteFrom('token')
      .where('did', '=', carol.did)
      .executeTakeFirst()
    expect(Number(revoked.numDeletedRows)).toBeGreaterThan(0)
    const box = SecretBox.fromKey(Buffer.from(scheduler.cfg.encryptionKey!, 'hex'))
    const saved = box.decryptJson<{ tokenSet: Record<string, unknown> }>(
      stored.rows[0].valueEnc,
      `oauth-session:${carol.did}`,
    )
    const expired = {
      ...saved,
      tokenSet: { ...saved.tokenSet, expires_at: new Date(Date.now() - 60_000).toISOString() },
    }
    await stack.database.db
      .updateTable('schedulerOauthSession')
      .set({ valueEnc: box.encryptJson(expired, `oauth-session:${carol.did}`) })
      .where('sub', '=', carol.did)
      .execute()

    const late = await carol.ok(
      'com.atproto.repo.createRecord',
      { repo: carol.did, collection: 'app.bsky.feed.post', record: post('after revocation') },
      { headers: { 'x-scheduled-at': soon() } },
    )
    const failed = await carol.waitFor(late.draftId as string, ['failed'])
    expect(failed.lastError).toMatch(/^CredentialsRevoked: /)
    expect(failed.failures).toBe(1)
    expect(await carol.ok('dev.sundial.scheduler.getAuthStatus')).toMatchObject({
      authorized: false,
      status: 'revoked',
    })
    expect((await listAll(stack.net, carol.did, 'app.bsky.feed.post')).map((p) => p.uri)).toEqual([res.uri])
  })

  it('fails drafts with a clear reason, once, when the app password is revoked', async () => {
    const dave = new SchedulerClient(await stack.net.createUser('dave'), scheduler.url)
    const { data } = await dave.user.agent.com.atproto.server.createAppPassword({ name: 'sundial' })
    await dave.ok('dev.sundial.scheduler.putAppPassword', { appPassword: data.password })
    await dave.user.agent.com.atproto.server.revokeAppPassword({ name: 'sundial' })
    // The stored access token would outlive the revocation for a while; make it unusable now, as expiry would.
    const box = SecretBox.fromKey(Buffer.from(scheduler.cfg.encryptionKey!, 'hex'))
    const row = await stack.database.db
      .selectFrom('schedulerCredential')
      .select('sessionEnc')
      .where('did', '=', dave.did)
      .executeTakeFirstOrThrow()
    const session = box.decryptJson<Record<string, unknown>>(row.sessionEnc!, sessionContext(dave.did))
    await stack.database.db
      .updateTable('schedulerCredential')
      .set({ sessionEnc: box.encryptJson({ ...session, accessJwt: 'expired' }, sessionContext(dave.did)) })
      .where('did', '=', dave.did)
      .execute()

    const res = await dave.ok(
      'com.atproto.repo.createRecord',
      {
        repo: dave.did,
        collection: 'app.bsky.feed.post',
        record: post('never'),
      },
      { headers: { 'x-scheduled-at': soon() } },
    )
    const failed = await dave.waitFor(res.draftId as string, ['failed'])
    expect(failed.lastError).toMatch(/^CredentialsRevoked: app password rejected by the PDS/)
    expect(failed.failures).toBe(1)
    const status = await dave.ok('dev.sundial.scheduler.getAuthStatus')
    expect(status).toMatchObject({ authorized: false, status: 'revoked' })

    // Later drafts fail at once with the same reason, without calling the PDS again.
    const next = await dave.ok(
      'com.atproto.repo.createRecord',
      {
        repo: dave.did,
        collection: 'app.bsky.feed.post',
        record: post('still never'),
      },
      { headers: { 'x-scheduled-at': soon() } },
    )
    expect((await dave.waitFor(next.draftId as string, ['failed'])).lastError).toMatch(/^CredentialsRevoked/)
    expect(await listAll(stack.net, dave.did, 'app.bsky.feed.post')).toHaveLength(0)

    // Registering a good password makes the account usable again.
    const fresh = await dave.user.agent.com.atproto.server.createAppPassword({ name: 'sundial-2' })
    await dave.ok('dev.sundial.scheduler.putAppPassword', { appPassword: fresh.data.password })
    await dave.ok('dev.sundial.scheduler.publishDraftNow', { id: next.draftId })
    await dave.waitFor(next.draftId as string, ['confirmed'])
  })

  it('refuses an app password the PDS does not accept', async () => {
    const erin = new SchedulerClient(await stack.net.createUser('erin'), scheduler.url)
    const res = await erin.call('dev.sundial.scheduler.putAppPassword', {
      appPassword: 'aaaa-bbbb-cccc-dddd',
    })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('InvalidAppPassword')
  })
})
