import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  listAll,
  pdsAgent,
  randomPng,
  sleep,
  startScheduler,
  startStack,
  SchedulerClient,
} from './harness.ts'
import type { RunningScheduler, Stack } from './harness.ts'

const soon = (ms = 1500) => new Date(Date.now() + ms).toISOString()
const post = (text: string) => ({
  $type: 'app.bsky.feed.post',
  text,
  createdAt: '2020-01-01T00:00:00.000Z',
})

describe('scheduler: schedule → publish → confirm', () => {
  let stack: Stack
  let scheduler: RunningScheduler
  let alice: SchedulerClient
  let bob: SchedulerClient

  beforeAll(async () => {
    stack = await startStack(inject('pgAdminUrl'))
    scheduler = await startScheduler(stack)
    alice = new SchedulerClient(await stack.net.createUser('alice'), scheduler.url)
    bob = new SchedulerClient(await stack.net.createUser('bob'), scheduler.url)
    await alice.registerAppPassword()
    await bob.registerAppPassword()
  })

  afterAll(async () => {
    await scheduler?.close()
    await stack?.close()
  })

  it('publishes a scheduled create with its fixed rkey at the publish moment and confirms it on Jetstream', async () => {
    const res = await alice.ok(
      'com.atproto.repo.createRecord',
      {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: post('hello later'),
      },
      { headers: { 'x-scheduled-at': soon() } },
    )
    expect(res.uri).toMatch(new RegExp(`^at://${alice.did}/app\\.bsky\\.feed\\.post/[a-z2-7]{13}$`))
    expect(res.status).toBe('scheduled')
    expect(res.cid).toMatch(/^bafyrei/)
    const confirmed = await alice.waitFor(res.draftId as string, ['confirmed'])
    expect(confirmed.publishedUri).toBe(res.uri)
    expect(confirmed.confirmState).toBe('confirmed')
    const [, , , collection, rkey] = (res.uri as string).split('/')
    const { data } = await pdsAgent(stack.net).com.atproto.repo.getRecord({
      repo: alice.did,
      collection,
      rkey,
    })
    expect(data.cid).toBe(confirmed.publishedCid)
    const value = data.value as { text: string; createdAt: string }
    expect(value.text).toBe('hello later')
    // createdAt is the publish moment, not the client's value nor the schedule time.
    expect(Date.parse(value.createdAt)).toBeGreaterThan(Date.parse(confirmed.scheduledAt as string) - 1)
    expect(Date.parse(value.createdAt)).toBeLessThanOrEqual(Date.parse(confirmed.publishedAt as string))
    expect(Date.parse(confirmed.confirmedAt as string)).toBeGreaterThanOrEqual(
      Date.parse(confirmed.publishedAt as string),
    )
  })

  it('keeps the client createdAt when asked, so the draft CID is the published CID', async () => {
    const res = await alice.ok(
      'com.atproto.repo.createRecord',
      {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: post('keep my time'),
      },
      { headers: { 'x-scheduled-at': soon(500), 'x-keep-created-at': 'true' } },
    )
    const d = await alice.waitFor(res.draftId as string, ['confirmed'])
    expect(d.publishedCid).toBe(res.cid)
  })

  it('publishes put and delete drafts', async () => {
    const created = await alice.ok(
      'com.atproto.repo.createRecord',
      {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: post('v1'),
      },
      { headers: { 'x-scheduled-at': soon(300) } },
    )
    await alice.waitFor(created.draftId as string, ['confirmed'])
    const rkey = (created.uri as string).split('/').pop()!

    const put = await alice.ok(
      'com.atproto.repo.putRecord',
      {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        rkey,
        record: post('v2'),
      },
      { headers: { 'x-scheduled-at': soon(300) } },
    )
    expect(put.uri).toBe(created.uri)
    const putDone = await alice.waitFor(put.draftId as string, ['confirmed'])
    const agent = pdsAgent(stack.net)
    const got = await agent.com.atproto.repo.getRecord({
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      rkey,
    })
    expect((got.data.value as { text: string }).text).toBe('v2')
    expect(got.data.cid).toBe(putDone.publishedCid)

    const del = await alice.ok(
      'com.atproto.repo.deleteRecord',
      {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        rkey,
      },
      { headers: { 'x-scheduled-at': soon(300) } },
    )
    await alice.waitFor(del.draftId as string, ['confirmed'])
    await expect(
      agent.com.atproto.repo.getRecord({ repo: alice.did, collection: 'app.bsky.feed.post', rkey }),
    ).rejects.toThrow(/could not locate record/i)
  })

  it('publishes a post with two images uploaded through the scheduler', async () => {
    const images = []
    for (const bytes of [randomPng(), randomPng()]) {
      const up = await alice.ok('com.atproto.repo.uploadBlob', bytes, {
        headers: { 'content-type': 'image/png' },
      })
      images.push({ alt: 'pic', image: up.blob })
    }
    const res = await alice.ok(
      'com.atproto.repo.createRecord',
      {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: { ...post('two pictures'), embed: { $type: 'app.bsky.embed.images', images } },
      },
      { headers: { 'x-scheduled-at': soon(500) } },
    )
    const d = await alice.waitFor(res.draftId as string, ['confirmed'])
    const rkey = (res.uri as string).split('/').pop()!
    const { data } = await pdsAgent(stack.net).com.atproto.repo.getRecord({
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      rkey,
    })
    expect(data.cid).toBe(d.publishedCid)
    const embed = (data.value as { embed: { images: Array<{ image: { ref: { toString(): string } } }> } })
      .embed
    expect(embed.images.map((i) => i.image.ref.toString())).toEqual(
      images.map((i) => (i.image as { ref: { $link: string } }).ref.$link),
    )
    // The PDS serves the blobs, so they were really uploaded at publish time.
    for (const i of images) {
      const cid = (i.image as { ref: { $link: string } }).ref.$link
      const blob = await fetch(
        `${stack.net.pdsUrl}/xrpc/com.atproto.sync.getBlob?did=${alice.did}&cid=${cid}`,
      )
      expect(blob.status).toBe(200)
    }
  })

  it('takes ALF-style uploads on /blob and publishes the post that uses them', async () => {
    const bytes = randomPng()
    const up = await fetch(`${scheduler.url}/blob`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await alice.token('com.atproto.repo.uploadBlob')}`,
        'content-type': 'image/png',
      },
      body: Buffer.from(bytes),
    })
    expect(up.status).toBe(200)
    const { cid, mimeType, size } = (await up.json()) as { cid: string; mimeType: string; size: number }
    expect(size).toBe(bytes.length)
    const res = await alice.ok(
      'com.atproto.repo.createRecord',
      {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: {
          ...post('alf style'),
          embed: {
            $type: 'app.bsky.embed.images',
            images: [{ alt: '', image: { $type: 'blob', ref: { $link: cid }, mimeType, size } }],
          },
        },
      },
      { headers: { 'x-scheduled-at': soon(300) } },
    )
    await alice.waitFor(res.draftId as string, ['confirmed'])
    const blob = await fetch(`${stack.net.pdsUrl}/xrpc/com.atproto.sync.getBlob?did=${alice.did}&cid=${cid}`)
    expect(blob.status).toBe(200)
    const anonymous = await fetch(`${scheduler.url}/blob`, { method: 'POST', body: Buffer.from(bytes) })
    expect(anonymous.status).toBe(401)
  })

  it('publishes applyWrites atomically with fixed keys', async () => {
    const res = await alice.ok(
      'com.atproto.repo.applyWrites',
      {
        repo: alice.did,
        writes: [
          {
            $type: 'com.atproto.repo.applyWrites#create',
            collection: 'app.bsky.feed.post',
            value: post('batch one'),
          },
          {
            $type: 'com.atproto.repo.applyWrites#create',
            collection: 'app.bsky.feed.post',
            value: post('batch two'),
          },
        ],
      },
      { headers: { 'x-scheduled-at': soon(300) } },
    )
    const results = res.results as Array<{ uri: string }>
    expect(results).toHaveLength(2)
    await alice.waitFor(res.draftId as string, ['confirmed'])
    const posts = await listAll(stack.net, alice.did, 'app.bsky.feed.post')
    for (const r of results) expect(posts.map((p) => p.uri)).toContain(r.uri)
  })

  it('keeps unscheduled drafts until published now', async () => {
    const res = await alice.ok('com.atproto.repo.createRecord', {
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      record: post('draft only'),
    })
    expect(res.status).toBe('draft')
    await sleep(500)
    expect((await alice.draft(res.draftId as string)).status).toBe('draft')
    const listed = await alice.ok('dev.sundial.scheduler.listDrafts', undefined, {
      query: { status: ['draft'] },
    })
    expect((listed.drafts as Array<{ id: string }>).map((d) => d.id)).toContain(res.draftId)
    await alice.ok('dev.sundial.scheduler.publishDraftNow', { id: res.draftId })
    await alice.waitFor(res.draftId as string, ['confirmed'])
  })

  it('fires a one-time webhook trigger exactly once', async () => {
    const res = await alice.ok(
      'com.atproto.repo.createRecord',
      {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: post('on trigger'),
      },
      { headers: { 'x-trigger': 'webhook' } },
    )
    const triggerUrl = res.triggerUrl as string
    expect(triggerUrl).toMatch(new RegExp(`^${scheduler.url}/triggers/[A-Za-z0-9_-]{43}$`))
    expect(res.status).toBe('draft')
    const first = await fetch(triggerUrl, { method: 'POST' })
    expect(first.status).toBe(202)
    const second = await fetch(triggerUrl, { method: 'POST' })
    expect(second.status).toBe(409)
    expect(((await second.json()) as { error: string }).error).toBe('TriggerAlreadyFired')
    const guessed = await fetch(`${scheduler.url}/triggers/${'A'.repeat(43)}`, { method: 'POST' })
    expect(guessed.status).toBe(404)
    await alice.waitFor(res.draftId as string, ['confirmed'])
    const posts = await listAll(stack.net, alice.did, 'app.bsky.feed.post')
    expect(posts.filter((p) => p.value.text === 'on trigger')).toHaveLength(1)
  })

  it('keeps each account to its own drafts', async () => {
    const res = await alice.ok('com.atproto.repo.createRecord', {
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      record: post('private'),
    })
    const id = res.draftId as string
    for (const [nsid, body, query] of [
      ['dev.sundial.scheduler.getDraft', undefined, { id }],
      ['dev.sundial.scheduler.updateDraft', { id, record: post('hijacked') }, undefined],
      ['dev.sundial.scheduler.publishDraftNow', { id }, undefined],
      ['dev.sundial.scheduler.deleteDraft', { id }, undefined],
    ] as const) {
      const r = await bob.call(nsid, body, { query })
      expect(r.status, nsid).toBe(400)
      expect(r.body.error, nsid).toBe('DraftNotFound')
    }
    const bobs = await bob.ok('dev.sundial.scheduler.listDrafts')
    expect((bobs.drafts as Array<{ id: string }>).map((d) => d.id)).not.toContain(id)
    // Bob cannot write into Alice's repo through the proxy either.
    const forged = await bob.call('com.atproto.repo.createRecord', {
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      record: post('as alice'),
    })
    expect(forged.status).toBe(400)
    expect(forged.body.error).toBe('InvalidRepo')
    // A token minted for another method is refused.
    const wrongLxm = await alice.call('dev.sundial.scheduler.getDraft', undefined, {
      query: { id },
      token: await alice.token('dev.sundial.scheduler.listDrafts'),
    })
    expect(wrongLxm.status).toBe(401)
    const none = await fetch(`${scheduler.url}/xrpc/dev.sundial.scheduler.listDrafts`)
    expect(none.status).toBe(401)
    expect((await alice.draft(id)).status).toBe('draft')
  })

  it('limits unpublished drafts per account, and a cancelled draft frees its place', async () => {
    const limited = await startScheduler(stack, { MAX_DRAFTS_PER_USER: '2' })
    try {
      const carol = new SchedulerClient(await stack.net.createUser('carol'), limited.url)
      const make = (text: string) =>
        carol.call('com.atproto.repo.createRecord', {
          repo: carol.did,
          collection: 'app.bsky.feed.post',
          record: post(text),
        })
      const first = await make('one')
      expect((await make('two')).status).toBe(200)
      const third = await make('three')
      expect(third.status).toBe(400)
      expect(third.body.error).toBe('TooManyDrafts')
      await carol.ok('dev.sundial.scheduler.deleteDraft', { id: first.body.draftId })
      expect((await carol.draft(first.body.draftId as string)).status).toBe('cancelled')
      expect((await make('three again')).status).toBe(200)
    } finally {
      await limited.close()
    }
  })

  it('answers bad input with clear XRPC errors', async () => {
    const bad = async (headers: Record<string, string>, record: unknown = post('x')) =>
      alice.call(
        'com.atproto.repo.createRecord',
        { repo: alice.did, collection: 'app.bsky.feed.post', record },
        { headers },
      )
    expect((await bad({ 'x-scheduled-at': 'tomorrow' })).body.error).toBe('InvalidScheduledAt')
    expect((await bad({ 'x-trigger': 'email' })).body.error).toBe('InvalidTrigger')
    expect((await bad({}, { text: 42 })).body.error).toBe('InvalidRecord')
    const cursor = await alice.call('dev.sundial.scheduler.listDrafts', undefined, {
      query: { cursor: 'nope' },
    })
    expect(cursor.body.error).toBe('InvalidCursor')
    const huge = await alice.call('com.atproto.repo.createRecord', {
      repo: alice.did,
      collection: 'com.example.big',
      record: { blob: 'x'.repeat(300 * 1024) },
    })
    expect(huge.status).toBe(413)
  })
})
