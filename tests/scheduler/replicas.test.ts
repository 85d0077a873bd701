import { rm } from 'node:fs/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort } from '@sundial/devnet'
import { bundleLauncher, listAll, prepareScheduler, SchedulerClient, sleep, startStack } from './harness.ts'
import type { Stack } from './harness.ts'

const USERS = 10
const PER_USER = 100

/** Counter value from a Prometheus text page. */
function counter(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`))
  return line ? Number(line.split(' ').pop()) : 0
}

describe('scheduler: two replicas', () => {
  let stack: Stack
  const children: Array<ReturnType<typeof prepareScheduler>> = []
  let launcher: string | undefined

  beforeAll(async () => {
    stack = await startStack(inject('pgAdminUrl'))
  })

  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()))
    if (launcher) await rm(launcher, { force: true })
    await stack?.close()
  })

  it(
    'publishes 1,000 posts due at the same moment exactly once between them',
    { timeout: 200_000 },
    async () => {
      launcher = await bundleLauncher()
      for (const name of ['replica-a', 'replica-b']) {
        children.push(
          prepareScheduler(
            stack,
            await freePort(),
            { INSTANCE_ID: name, CONFIRM_TIMEOUT_SECONDS: '120' },
            launcher,
          ),
        )
      }
      const [a, b] = await Promise.all(children.map((c) => c.go()))
      const users: SchedulerClient[] = []
      for (let i = 0; i < USERS; i++) {
        // Requests alternate between the replicas, as behind a load balancer.
        const u = new SchedulerClient(await stack.net.createUser(`replica${i}`), i % 2 ? b.url : a.url)
        await u.registerAppPassword()
        users.push(u)
      }
      const drafts: Array<{ id: string; user: SchedulerClient; uri: string; text: string }> = []
      const created = Date.now()
      await Promise.all(
        users.map(async (user) => {
          for (let i = 0; i < PER_USER; i++) {
            const text = `${user.did.slice(-6)} post ${i}`
            const res = await user.ok('com.atproto.repo.createRecord', {
              repo: user.did,
              collection: 'app.bsky.feed.post',
              record: { $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() },
            })
            drafts.push({ id: res.draftId as string, user, uri: res.uri as string, text })
          }
        }),
      )
      console.log(`created ${drafts.length} drafts in ${Date.now() - created} ms`)
      // Creating them takes a while on a busy machine; then all fall due at the same instant, announced to both
      // replicas through Postgres as a client's change would be.
      const dueAt = new Date(Date.now() + 3000)
      await sql`
        update scheduler_draft set status = 'scheduled', scheduled_at = ${dueAt}, next_attempt_at = ${dueAt},
          wake_at = ${dueAt}
        where status = 'draft'
      `.execute(stack.database.db)
      await sql`select pg_notify('sundial_scheduler_wake', ${String(dueAt.getTime())})`.execute(
        stack.database.db,
      )

      const deadline = dueAt.getTime() + 120_000
      let pending = drafts
      while (pending.length > 0) {
        await sleep(1000)
        const res = await Promise.all(pending.map(async (d) => ({ d, s: (await d.user.draft(d.id)).status })))
        pending = res.filter((r) => r.s !== 'confirmed').map((r) => r.d)
        if (Date.now() > deadline) {
          const sample = await Promise.all(pending.slice(0, 3).map((d) => d.user.draft(d.id)))
          throw new Error(`${pending.length} drafts not confirmed, e.g. ${JSON.stringify(sample)}`)
        }
      }
      console.log(`all confirmed ${Date.now() - dueAt.getTime()} ms after they fell due`)

      for (const user of users) {
        const records = await listAll(stack.net, user.did, 'app.bsky.feed.post')
        const mine = drafts.filter((d) => d.user === user)
        expect(records).toHaveLength(PER_USER)
        expect(new Set(records.map((r) => r.uri))).toEqual(new Set(mine.map((d) => d.uri)))
      }
      // Both replicas did part of the work.
      const published = await Promise.all(
        [a, b].map(async (r) =>
          counter(
            await (await fetch(`${r.url}/metrics`)).text(),
            'sundial_scheduler_publishes_total',
            'result="published"',
          ),
        ),
      )
      console.log(`published per replica: ${published.join(', ')}`)
      expect(published[0] + published[1]).toBe(USERS * PER_USER)
      expect(Math.min(...published)).toBeGreaterThan(0)
    },
  )
})
