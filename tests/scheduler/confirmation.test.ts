import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { JetstreamServer } from '@sundial/jetstream-server'
import { sleep, startScheduler, startStack, SchedulerClient } from './harness.ts'
import type { RunningScheduler, Stack } from './harness.ts'

const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() })

/** A webhook receiver that refuses the first delivery, to exercise retries. */
async function startReceiver() {
  const received: Array<{ event: string; body: Record<string, unknown> }> = []
  let refused = 0
  const server = http.createServer((req, res) => {
    let data = ''
    req.on('data', (c) => (data += c))
    req.on('end', () => {
      if (refused === 0) {
        refused += 1
        res.statusCode = 503
        return void res.end()
      }
      received.push({ event: String(req.headers['x-sundial-event']), body: JSON.parse(data) })
      res.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    refused: () => refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('scheduler: confirmation and the post-publish webhook', () => {
  let stack: Stack
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let scheduler: RunningScheduler
  let alice: SchedulerClient

  beforeAll(async () => {
    stack = await startStack(inject('pgAdminUrl'))
    receiver = await startReceiver()
    scheduler = await startScheduler(stack, { POST_PUBLISH_WEBHOOK_URL: receiver.url })
    alice = new SchedulerClient(await stack.net.createUser('alice'), scheduler.url)
    await alice.registerAppPassword()
  })

  afterAll(async () => {
    await scheduler?.close()
    await receiver?.close()
    await stack?.close()
  })

  it('sends published and confirmed events, retrying a refused delivery', async () => {
    const res = await alice.ok(
      'com.atproto.repo.createRecord',
      {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: post('hooked'),
      },
      { headers: { 'x-scheduled-at': new Date(Date.now() + 300).toISOString() } },
    )
    const d = await alice.waitFor(res.draftId as string, ['confirmed'])
    const deadline = Date.now() + 20_000
    while (receiver.received.filter((r) => r.body.draftId === d.id).length < 2 && Date.now() < deadline)
      await sleep(100)
    const events = receiver.received.filter((r) => r.body.draftId === d.id)
    expect(events.map((e) => e.event).sort()).toEqual(['confirmed', 'published'])
    const confirmed = events.find((e) => e.event === 'confirmed')!.body
    expect(confirmed).toMatchObject({ event: 'confirmed', uri: res.uri, cid: d.publishedCid })
    expect(receiver.refused()).toBe(1)

    // Counted per state for Prometheus, and live numbers for the dashboard on the Bus.
    const metrics = await (await fetch(`${scheduler.url}/metrics`)).text()
    expect(metrics).toMatch(/sundial_scheduler_drafts\{status="confirmed"\} [1-9]/)
    expect(metrics).toMatch(/sundial_scheduler_confirm_latency_seconds_count [1-9]/)
    expect(metrics).toMatch(/sundial_scheduler_lateness_seconds_count [1-9]/)
    await expect
      .poll(async () => Number((await scheduler.service.ctx.bus.getStats('scheduler')).confirmed ?? 0), {
        timeout: 5000,
      })
      .toBeGreaterThan(0)
  })

  it('re-checks a publish Jetstream never shows and marks it unconfirmed with what the PDS says', async () => {
    // A second scheduler whose Jetstream sees nothing of this PDS.
    const blind = await JetstreamServer.create()
    const other = await startScheduler(stack, {
      JETSTREAM_URL: blind.subscribeUrl,
      CONFIRM_TIMEOUT_SECONDS: '2',
    })
    await scheduler.close()
    try {
      const client = new SchedulerClient(alice.user, other.url)
      const res = await client.ok(
        'com.atproto.repo.createRecord',
        {
          repo: alice.did,
          collection: 'app.bsky.feed.post',
          record: post('nobody watching'),
        },
        { headers: { 'x-scheduled-at': new Date(Date.now() + 300).toISOString() } },
      )
      await client.waitFor(res.draftId as string, ['published'])
      const deadline = Date.now() + 30_000
      let d = await client.draft(res.draftId as string)
      while (d.confirmState !== 'unconfirmed' && Date.now() < deadline) {
        await sleep(200)
        d = await client.draft(res.draftId as string)
      }
      expect(d.status).toBe('published')
      expect(d.confirmState).toBe('unconfirmed')
      expect(d.confirmNote).toMatch(
        /not seen on Jetstream within 2s; .* the PDS has it with the expected CID/,
      )
    } finally {
      await other.close()
      await blind.close()
      scheduler = await startScheduler(stack, { POST_PUBLISH_WEBHOOK_URL: receiver.url })
    }
  })
})
