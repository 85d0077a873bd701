import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { listAll, SchedulerClient, startScheduler, startStack } from './harness.ts'
import type { RunningScheduler, Stack } from './harness.ts'

const later = () => new Date(Date.now() + 3_600_000).toISOString()

describe('scheduler: retries that find their own record', () => {
  let stack: Stack
  let scheduler: RunningScheduler
  let alice: SchedulerClient

  beforeAll(async () => {
    stack = await startStack(inject('pgAdminUrl'))
    scheduler = await startScheduler(stack)
    alice = new SchedulerClient(await stack.net.createUser('alice'), scheduler.url)
    await alice.registerAppPassword()
  })

  afterAll(async () => {
    await scheduler?.close()
    await stack?.close()
  })

  /** A scheduled draft whose record an earlier, unrecorded attempt already wrote to the PDS. */
  async function landedDraft(text: string, onPds: Record<string, unknown> = {}) {
    const res = await alice.ok(
      'com.atproto.repo.createRecord',
      {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: { $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() },
      },
      { headers: { 'x-scheduled-at': later() } },
    )
    const rkey = (res.uri as string).split('/').pop()!
    await alice.user.agent.com.atproto.repo.putRecord({
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      rkey,
      record: { $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString(), ...onPds },
    })
    // Its commit has gone by on Jetstream before the scheduler watches this account.
    await stack.net.sync()
    return { id: res.draftId as string, uri: res.uri as string }
  }

  it('recovers a draft left publishing by a dead process: found on the PDS, published once, confirmed', async () => {
    const d = await landedDraft('left behind by a crash')
    await sql`
      update scheduler_draft set status = 'publishing', attempts = 1, lease_owner = 'dead-process',
        lease_expires_at = now() - interval '1 second', wake_at = now(), scheduled_at = now() - interval '5 seconds',
        next_attempt_at = now() - interval '5 seconds'
      where id = ${d.id}
    `.execute(stack.database.db)
    await sql`select pg_notify('sundial_scheduler_wake', ${String(Date.now())})`.execute(stack.database.db)
    const done = await alice.waitFor(d.id, ['confirmed'], 20_000)
    expect(done.attempts).toBe(2)
    const posts = await listAll(stack.net, alice.did, 'app.bsky.feed.post')
    expect(posts.filter((p) => p.value.text === 'left behind by a crash')).toHaveLength(1)
  })

  it('counts an existing identical record at its key as its own (first attempt, swap refused)', async () => {
    const d = await landedDraft('two replicas raced')
    await alice.ok('dev.sundial.scheduler.publishDraftNow', { id: d.id })
    const done = await alice.waitFor(d.id, ['confirmed'], 20_000)
    expect(done.confirmNote ?? '').toBe('')
    const posts = await listAll(stack.net, alice.did, 'app.bsky.feed.post')
    expect(posts.filter((p) => p.value.text === 'two replicas raced')).toHaveLength(1)
  })

  it('fails, without retrying, when its key holds someone else’s record', async () => {
    const d = await landedDraft('mine', { text: 'not mine' })
    await alice.ok('dev.sundial.scheduler.publishDraftNow', { id: d.id })
    const failed = await alice.waitFor(d.id, ['failed'], 20_000)
    expect(failed.lastError).toMatch(/^RecordExists/)
    expect(failed.attempts).toBe(1)
  })
})
