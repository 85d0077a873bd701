import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import { ids, schemas } from '@atproto/api'
import type { LexiconDoc } from '@atproto/lexicon'
import { AuthRequiredError, createServer } from '@atproto/xrpc-server'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json, query } from './xrpc.ts'

// A response sent as pre-serialised bytes (responses not validated) must reach the client exactly as the
// library's own path (validated, lexToJson) sends it.

const profile = {
  did: 'did:plc:alice',
  handle: 'alice.test',
  displayName: 'Alice ☀️ «Ünïcode»',
  description: 'line one\nline "two"',
  avatar: 'https://cdn.example/img/avatar/plain/did:plc:alice/bafkreiabc@jpeg',
  labels: [],
  viewer: { muted: false, blockedBy: false },
  createdAt: '2026-11-23T00:00:00.000Z',
  indexedAt: '2026-11-23T00:00:00.000Z',
}

async function start(validateResponse: boolean): Promise<{ url: string; server: http.Server }> {
  const xrpc = createServer(schemas as LexiconDoc[], { validateResponse })
  query(xrpc, ids.AppBskyActorGetProfile, {
    auth: async ({ req }) => {
      if (req.headers.authorization !== 'Bearer ok') throw new AuthRequiredError('no', 'BadJwt')
      return { credentials: { viewer: 'did:plc:viewer' } }
    },
    handler: async ({ params, auth }) =>
      json(
        { ...profile, handle: `${(params as { actor: string }).actor}` },
        { 'atproto-repo-rev': auth.credentials.viewer },
      ),
  })
  const app = express()
  app.use(xrpc.router)
  const server = app.listen(0)
  await new Promise((resolve) => server.once('listening', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

describe('query responses', () => {
  let plain: { url: string; server: http.Server }
  let validated: { url: string; server: http.Server }

  beforeAll(async () => {
    plain = await start(false)
    validated = await start(true)
  })

  afterAll(async () => {
    for (const s of [plain, validated]) await new Promise((resolve) => s?.server.close(resolve))
  })

  const get = (base: string, authorization?: string) =>
    fetch(`${base}/xrpc/app.bsky.actor.getProfile?actor=alice.test`, {
      headers: authorization ? { authorization } : {},
    })

  it('sends the same JSON, headers and length both ways', async () => {
    const a = await get(plain.url, 'Bearer ok')
    const b = await get(validated.url, 'Bearer ok')
    expect(a.status).toBe(200)
    expect(b.status).toBe(200)
    const [textA, textB] = [await a.text(), await b.text()]
    expect(JSON.parse(textA)).toEqual(JSON.parse(textB))
    expect(JSON.parse(textA)).toEqual(profile)
    expect(a.headers.get('content-type')).toMatch(/^application\/json/)
    expect(Number(a.headers.get('content-length'))).toBe(Buffer.byteLength(textA))
    expect(a.headers.get('atproto-repo-rev')).toBe('did:plc:viewer')
    expect(b.headers.get('atproto-repo-rev')).toBe('did:plc:viewer')
  })

  it('answers a failed auth with 401 and bad parameters with 400, before any handler output', async () => {
    for (const base of [plain.url, validated.url]) {
      const denied = await get(base)
      expect(denied.status).toBe(401)
      expect(await denied.json()).toMatchObject({ error: 'BadJwt' })
      const bad = await fetch(`${base}/xrpc/app.bsky.actor.getProfile`, {
        headers: { authorization: 'Bearer ok' },
      })
      expect(bad.status).toBe(400)
    }
  })
})
