import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort } from '@sundial/devnet'
import { bundleLauncher, listAll, prepareScheduler, SchedulerClient, sleep, startStack } from './harness.ts'
import type { ChildScheduler, Stack } from './harness.ts'

const POSTS = 200
const KILLS = 20
const USERS = 4

// Short leases and PDS timeouts so a killed holder's drafts come back within seconds.
const CHILD_ENV = {
  LEASE_SECONDS: '10',
  PUBLISH_TIMEOUT_MS: '4000',
  CONFIRM_TIMEOUT_SECONDS: '120',
  CLAIM_LOOKAHEAD_MS: '300',
}

describe('scheduler: kill -9 at random moments', () => {
  let stack: Stack
  let child: ChildScheduler | undefined
  let launcher: string
  const spawned: Array<ReturnType<typeof prepareScheduler>> = []

  beforeAll(async () => {
    stack = await startStack(inject('pgAdminUrl'))
    launcher = await bundleLauncher()
  })

  afterAll(async () => {
    await Promise.all(spawned.map((p) => p.kill()))
    if (launcher) await rm(launcher, { force: true })
    await stack?.close()
  })

  it('loses nothing and duplicates nothing while 200 posts fall due', { timeout: 230_000 }, async () => {
    // Half the restarts reuse the instance name (their leases are released at start), half are strangers
    // (they wait for the dead holder's leases to expire). The next process is always loaded in advance.
    const prepare = async (i: number) => {
      const p = prepareScheduler(
        stack,
        await freePort(),
        { ...CHILD_ENV, INSTANCE_ID: i % 2 === 0 ? 'slot-a' : `stranger-${i}` },
        launcher,
      )
      spawned.push(p)
      return p
    }
    // Loading a process takes seconds of CPU on a busy machine: keep a few loaded ahead.
    const ahead = [await prepare(0), await prepare(1), await prepare(2)]
    let prepared = 3
    child = await ahead.shift()!.go()
    const users: SchedulerClient[] = []
    for (let i = 0; i < USERS; i++) {
      const u = new SchedulerClient(await stack.net.createUser(`crash${i}`), child.url)
      await u.registerAppPassword()
      users.push(u)
    }
    // 200 posts due one every 200 ms from a few seconds from now (the span of the kills), created through the proxy.
    const firstDue = Date.now() + 4000
    const drafts: Array<{ id: string; user: SchedulerClient; text: string; uri: string }> = []
    for (let i = 0; i < POSTS; i++) {
      const user = users[i % USERS]
      const text = `crash-test post ${i}`
      const res = await user.ok(
        'com.atproto.repo.createRecord',
        {
          repo: user.did,
          collection: 'app.bsky.feed.post',
          record: { $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() },
        },
        { headers: { 'x-scheduled-at': new Date(firstDue + i * 200).toISOString() } },
      )
      drafts.push({ id: res.draftId as string, user, text, uri: res.uri as string })
    }

    const t0 = Date.now()
    for (let k = 1; k <= KILLS; k++) {
      await sleep(200 + Math.random() * 1500)
      child.child.kill('SIGKILL')
      await child.exited
      const s = Date.now()
      child = await ahead.shift()!.go()
      console.log(`kill ${k} at +${s - t0} ms, restart took ${Date.now() - s} ms`)
      if (prepared <= KILLS) ahead.push(await prepare(prepared++))
    }

    // The last process finishes what is left and confirms everything on Jetstream.
    const waitStart = Date.now()
    const deadline = Date.now() + 90_000
    for (const d of drafts) d.user.schedulerUrl = child.url
    let pending = drafts
    while (pending.length > 0) {
      const states = await Promise.all(pending.map(async (d) => ({ d, draft: await d.user.draft(d.id) })))
      pending = states.filter((s) => s.draft.status !== 'confirmed').map((s) => s.d)
      if (pending.length === 0) break
      if (Date.now() > deadline) {
        const sample = states.filter((s) => s.draft.status !== 'confirmed').slice(0, 3)
        throw new Error(
          `not confirmed: ${pending.length}, e.g. ${JSON.stringify(sample.map((s) => s.draft))}\n${child.output()}`,
        )
      }
      await sleep(500)
    }

    console.log(`all confirmed ${Date.now() - waitStart} ms after the last restart`)
    // Exactly once on the PDS: every draft's record, no other copies.
    for (const user of users) {
      const records = await listAll(stack.net, user.did, 'app.bsky.feed.post')
      const mine = drafts.filter((d) => d.user === user)
      expect(records).toHaveLength(mine.length)
      expect(new Set(records.map((r) => r.uri))).toEqual(new Set(mine.map((d) => d.uri)))
      const texts = records.map((r) => r.value.text as string).sort()
      expect(texts).toEqual(mine.map((d) => d.text).sort())
    }
  })
})
