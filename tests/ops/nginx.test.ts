import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import https from 'node:https'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '@sundial/devnet'
import { startNginx } from './nginx-runner.ts'
import type { RunningNginx } from './nginx-runner.ts'
import { startRecorder } from './recorder.ts'
import type { Recorder } from './recorder.ts'

/** Sends a request line exactly as written (fetch would normalise `..` away before nginx sees it). */
async function rawGet(port: number, rawPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET ${rawPath} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
    })
    let data = ''
    socket.on('data', (d: Buffer) => (data += d.toString()))
    socket.on('error', reject)
    socket.on('end', () => resolve(Number(data.split(' ')[1])))
  })
}

describe('nginx in front of recording upstreams', () => {
  let appview: Recorder
  let scheduler: Recorder
  let nginx: RunningNginx

  beforeAll(async () => {
    appview = await startRecorder('appview')
    scheduler = await startRecorder('scheduler')
    nginx = await startNginx({
      port: await freePort(),
      vars: { APPVIEW_UPSTREAM: appview.address, SCHEDULER_UPSTREAM: scheduler.address },
    })
  })

  afterAll(async () => {
    await nginx?.stop()
    await appview?.close()
    await scheduler?.close()
  })

  async function upstreamOf(method: string, urlPath: string, body?: string): Promise<string> {
    const res = await fetch(nginx.url + urlPath, {
      method,
      body,
      headers: body ? { 'content-type': 'application/json' } : undefined,
    })
    expect(res.status, `${method} ${urlPath}`).toBe(200)
    const json = (await res.json()) as { upstream: string; url: string }
    expect(json.url).toBe(urlPath)
    return json.upstream
  }

  it('sends reads, the DID document, health and the dashboard to the appview', async () => {
    for (const p of [
      '/xrpc/app.bsky.feed.getTimeline?limit=30',
      '/xrpc/app.bsky.actor.getProfile?actor=alice.test',
      '/xrpc/dev.sundial.feed.getTimelineStatus',
      '/xrpc/com.atproto.repo.getRecord?repo=did:plc:x&collection=app.bsky.feed.post&rkey=1',
      '/xrpc/_health',
      '/.well-known/did.json',
      '/dashboard/',
      '/dashboard/api/live',
      '/blob/did:plc:abc/bafkreiabc',
    ]) {
      expect(await upstreamOf('GET', p), p).toBe('appview')
    }
    expect(await upstreamOf('POST', '/dashboard/login', '{}')).toBe('appview')
  })

  it('sends repo writes, uploads, scheduler methods and OAuth to the scheduler', async () => {
    for (const m of ['createRecord', 'putRecord', 'deleteRecord', 'applyWrites']) {
      expect(await upstreamOf('POST', `/xrpc/com.atproto.repo.${m}`, '{"repo":"did:plc:x"}'), m).toBe(
        'scheduler',
      )
    }
    expect(await upstreamOf('POST', '/xrpc/com.atproto.repo.uploadBlob', 'x')).toBe('scheduler')
    // ALF-style upload; /blob/<did>/<cid> stays the appview's image redirect (previous test).
    expect(await upstreamOf('POST', '/blob', 'x')).toBe('scheduler')
    expect(await upstreamOf('GET', '/xrpc/dev.sundial.scheduler.listDrafts?limit=5')).toBe('scheduler')
    expect(await upstreamOf('POST', '/xrpc/dev.sundial.scheduler.retryDraft', '{}')).toBe('scheduler')
    expect(await upstreamOf('GET', '/oauth/client-metadata.json')).toBe('scheduler')
    expect(await upstreamOf('GET', '/oauth/callback?code=abc&state=def')).toBe('scheduler')
    expect(await upstreamOf('POST', '/triggers/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ', '{}')).toBe(
      'scheduler',
    )
  })

  it('hides metrics and internal endpoints, also behind dot segments', async () => {
    const before = appview.requests.length + scheduler.requests.length
    for (const p of [
      '/metrics',
      '/metrics/',
      '/internal/drafts',
      '/_debug',
      '/xrpc/_internal.stats',
      '/',
      '/nope',
    ]) {
      const res = await fetch(nginx.url + p)
      expect(res.status, p).toBe(404)
      expect(await res.json()).toEqual({ error: 'NotFound', message: 'Not found' })
    }
    for (const p of [
      '/xrpc/../metrics',
      '/dashboard/%2e%2e/metrics',
      '/xrpc/app.bsky.x/%2E%2E/%2E%2E/metrics',
      '/%6detrics',
    ]) {
      expect(await rawGet(nginx.port, p), p).toBe(404)
    }
    expect(appview.requests.length + scheduler.requests.length).toBe(before)

    const redirect = await fetch(nginx.url + '/dashboard', { redirect: 'manual' })
    expect(redirect.status).toBe(301)
    expect(redirect.headers.get('location')).toMatch(/\/dashboard\/$/)
  })

  it('passes the client address and scheme to the services', async () => {
    await fetch(nginx.url + '/xrpc/app.bsky.feed.getTimeline?who=1', {
      headers: { 'x-forwarded-for': '203.0.113.9' },
    })
    const seen = appview.requests.find((r) => r.url.includes('who=1'))!
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1')
    expect(seen.headers['x-real-ip']).toBe('127.0.0.1')
    expect(seen.headers['x-forwarded-proto']).toBe('http')
    expect(seen.headers['host']).toBe('127.0.0.1')
  })

  it('compresses JSON and reuses upstream connections', async () => {
    const res = await fetch(nginx.url + '/xrpc/app.bsky.feed.getTimeline?big=1', {
      headers: { 'accept-encoding': 'gzip' },
    })
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(((await res.json()) as { big: string }).big.length).toBe(20_000)

    const connectionsBefore = appview.connections()
    for (let i = 0; i < 30; i++) {
      const r = await fetch(nginx.url + `/xrpc/app.bsky.actor.getProfile?actor=${i}`)
      await r.arrayBuffer()
    }
    // Two workers, each with its own keepalive pool: far fewer new connections than requests.
    expect(appview.connections() - connectionsBefore).toBeLessThanOrEqual(4)
  })

  it('refuses a JSON body over 1 MB but lets a larger blob through', async () => {
    const tooBig = await fetch(nginx.url + '/xrpc/com.atproto.repo.createRecord', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x'.repeat(1_100_000) }),
    })
    expect(tooBig.status).toBe(413)
    expect(await tooBig.json()).toMatchObject({ error: 'PayloadTooLarge' })

    const blob = Buffer.alloc(3_000_000, 7)
    const upload = await fetch(nginx.url + '/xrpc/com.atproto.repo.uploadBlob', {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: blob,
    })
    expect(upload.status).toBe(200)
    expect(((await upload.json()) as { bodyBytes: number }).bodyBytes).toBe(blob.length)

    const alfUpload = await fetch(nginx.url + '/blob', {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: blob,
    })
    expect(alfUpload.status).toBe(200)
    expect(await alfUpload.json()).toMatchObject({ upstream: 'scheduler', bodyBytes: blob.length })
  })

  it('answers 429 with Retry-After once a client bursts past its rate', async () => {
    // Reads: 30 r/s with a burst of 60 by default. Let the earlier tests' requests drain from the bucket first,
    // then 200 at once must overflow it.
    await new Promise((r) => setTimeout(r, 2_500))
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        fetch(nginx.url + `/xrpc/app.bsky.feed.getTimeline?burst=${i}`).then(async (r) => {
          if (r.status === 429) {
            expect(r.headers.get('retry-after')).toBe('1')
            expect(await r.json()).toMatchObject({ error: 'RateLimitExceeded' })
          } else {
            await r.arrayBuffer()
          }
          return r.status
        }),
      ),
    )
    const limited = statuses.filter((s) => s === 429).length
    // Loose bounds: a slow machine takes longer to send the 200, and the bucket refills meanwhile.
    expect(limited).toBeGreaterThanOrEqual(40)
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(60)

    // Writes have their own, tighter zone (5 r/s, burst 20).
    const writes = await Promise.all(
      Array.from({ length: 40 }, () =>
        fetch(nginx.url + '/xrpc/com.atproto.repo.createRecord', { method: 'POST', body: '{}' }).then(
          async (r) => {
            await r.arrayBuffer()
            return r.status
          },
        ),
      ),
    )
    expect(writes.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15)
  })
})

describe('the commented TLS server block', () => {
  it('is valid nginx and serves the same routes over HTTPS once uncommented', async () => {
    const appview = await startRecorder('appview')
    const scheduler = await startRecorder('scheduler')
    const tlsPort = await freePort()
    const nginx = await startNginx({
      port: await freePort(),
      vars: {
        APPVIEW_UPSTREAM: appview.address,
        SCHEDULER_UPSTREAM: scheduler.address,
        NGINX_SERVER_NAME: 'localhost',
      },
      prepare: async (dir) => {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-days',
            '1',
            '-subj',
            '/CN=localhost',
            '-keyout',
            path.join(dir, 'privkey.pem'),
            '-out',
            path.join(dir, 'fullchain.pem'),
          ],
          { stdio: 'ignore' },
        )
        const file = path.join(dir, 'conf.d', 'sundial.conf')
        const text = await readFile(file, 'utf8')
        const start = text.indexOf('# server {')
        expect(start).toBeGreaterThan(0)
        const enabled = text
          .slice(start)
          .split('\n')
          .map((line) => line.replace(/^# ?/, ''))
          .join('\n')
          .replace('listen 443 ssl http2;', `listen 127.0.0.1:${tlsPort} ssl http2;`)
          .replaceAll('/etc/letsencrypt/live/localhost/', dir + '/')
        await writeFile(file, text.slice(0, start) + enabled)
      },
    })
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        https
          .get(
            {
              host: '127.0.0.1',
              port: tlsPort,
              path: '/xrpc/com.atproto.repo.createRecord',
              rejectUnauthorized: false,
              servername: 'localhost',
            },
            (res) => {
              let body = ''
              res.on('data', (d: Buffer) => (body += d.toString()))
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
            },
          )
          .on('error', reject)
      })
      expect(status).toBe(200)
      expect(JSON.parse(body).upstream).toBe('scheduler')
      expect(await rawGet(nginx.port, '/metrics')).toBe(404)
    } finally {
      await nginx.stop()
      await appview.close()
      await scheduler.close()
    }
  })
})
