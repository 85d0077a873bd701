import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FetchFailure, PdsClient, nearbyHost } from './pds-client.ts'

describe('nearbyHost', () => {
  it('takes localhost, loopback and private-network addresses as nearby', () => {
    const hosts = [
      'localhost',
      'pds.localhost',
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.5',
      '192.168.1.9',
      '[::1]',
    ]
    for (const host of [...hosts, '[fd12::1]']) expect(nearbyHost(host), host).toBe(true)
  })

  it('takes public addresses and names as remote', () => {
    const hosts = ['bsky.social', 'pds.example.com', '8.8.8.8', '172.32.0.1', '[2001:db8::1]']
    for (const host of [...hosts, 'localhost.example']) expect(nearbyHost(host), host).toBe(false)
  })
})

describe('PdsClient.getRepo', () => {
  const car = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251))
  const seen: Array<string | undefined> = []
  let server: http.Server
  let base: string

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      const did = url.searchParams.get('did')
      seen.push(req.headers['accept-encoding'])
      if (did === 'did:example:moved') {
        res.writeHead(302, { location: '/xrpc/com.atproto.sync.getRepo?did=did:example:plain' }).end()
      } else if (did === 'did:example:gone') {
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: 'RepoNotFound', message: 'no such repo' }))
      } else if (did === 'did:example:busy') {
        res.writeHead(503).end('busy')
      } else if (did === 'did:example:gzipped') {
        res.writeHead(200, { 'content-type': 'application/vnd.ipld.car', 'content-encoding': 'gzip' })
        res.end(gzipSync(car))
      } else {
        res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' })
        // In several writes, as a PDS streams it.
        for (let i = 0; i < car.length; i += 7_000) res.write(car.subarray(i, i + 7_000))
        res.end()
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  const opts = () => ({ timeoutMs: 5_000, signal: new AbortController().signal })

  async function read(did: string, maxBytes = 1_000_000): Promise<Buffer> {
    const chunks: Uint8Array[] = []
    for await (const chunk of await new PdsClient(base).getRepo(did, maxBytes, opts())) chunks.push(chunk)
    return Buffer.concat(chunks)
  }

  it('asks a nearby PDS for the CAR uncompressed, following redirects', async () => {
    seen.length = 0
    expect((await read('did:example:moved')).equals(car)).toBe(true)
    expect(seen).toEqual(['identity', 'identity'])
  })

  it('inflates a gzipped CAR', async () => {
    expect((await read('did:example:gzipped')).equals(car)).toBe(true)
  })

  it('fails past the size limit', async () => {
    await expect(read('did:example:plain', 50_000)).rejects.toMatchObject({ kind: 'invalid' })
  })

  it('tells a missing repo from a PDS that cannot answer now', async () => {
    await expect(read('did:example:gone')).rejects.toMatchObject({ kind: 'unavailable' })
    await expect(read('did:example:busy')).rejects.toMatchObject({ kind: 'transient' })
    const refused = new PdsClient('http://127.0.0.1:1').getRepo('did:example:plain', 1000, opts())
    await expect(refused).rejects.toBeInstanceOf(FetchFailure)
    await expect(refused).rejects.toMatchObject({ kind: 'transient' })
  })
})
