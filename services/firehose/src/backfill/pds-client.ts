import http from 'node:http'
import type { IncomingMessage } from 'node:http'
import https from 'node:https'
import { BlockList, isIP } from 'node:net'
import { pipeline } from 'node:stream'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'

/** Why a request for an account's repo did not give data. */
export type FetchFailureKind =
  /** The account has no repo to fetch (deleted, deactivated, taken down, unknown DID): nothing to index. */
  | 'unavailable'
  /** The PDS (or PLC) could not answer now: try again later. */
  | 'transient'
  /** The PDS answered with something unusable (bad CAR, bad signature, too large): try another method. */
  | 'invalid'

export class FetchFailure extends Error {
  constructor(
    readonly kind: FetchFailureKind,
    message: string,
  ) {
    super(message)
    this.name = 'FetchFailure'
  }
}

/** XRPC errors that mean the repo is gone or closed, not that the request failed. */
const UNAVAILABLE = new Set(['RepoNotFound', 'RepoTakendown', 'RepoSuspended', 'RepoDeactivated'])

export interface RequestOptions {
  timeoutMs: number
  signal: AbortSignal
}

export interface LatestCommit {
  cid: string
  rev: string
}

export interface ListedRecord {
  uri: string
  cid: string
  value: Record<string, unknown>
}

/** The few XRPC reads backfill makes of a PDS, over plain fetch so bodies can be streamed and capped. */
export class PdsClient {
  /** Whether the repo CAR is asked for uncompressed (see `nearbyHost`). */
  readonly plainCar: boolean

  constructor(readonly serviceUrl: string) {
    this.plainCar = nearbyHost(new URL(serviceUrl).hostname)
  }

  async getLatestCommit(did: string, opts: RequestOptions): Promise<LatestCommit> {
    const body = await this.json('com.atproto.sync.getLatestCommit', { did }, opts)
    if (typeof body.rev !== 'string' || typeof body.cid !== 'string') {
      throw new FetchFailure('invalid', 'getLatestCommit: no rev in the answer')
    }
    return { cid: body.cid, rev: body.rev }
  }

  /**
   * The repo as a CAR, streamed as it arrives (so reading it overlaps the download). The stream fails with an
   * `invalid` FetchFailure past `maxBytes` (read the repo page by page instead), `transient` if the connection drops
   * or the PDS sends nothing for `timeoutMs` while it is waited for. Time the reader spends between two chunks
   * (writing what it read) does not count: a large repo is read only as fast as it is written.
   *
   * Read with node:http rather than fetch: its body is a plain stream of Buffers, where fetch's web stream cost the
   * reader about as much per chunk as checking and decoding the blocks in it.
   */
  async getRepo(did: string, maxBytes: number, opts: RequestOptions): Promise<AsyncIterable<Uint8Array>> {
    const nsid = 'com.atproto.sync.getRepo'
    const deadline = new WaitTimer(opts.timeoutMs)
    const signal = AbortSignal.any([opts.signal, deadline.signal])
    let res: IncomingMessage
    try {
      res = await httpGet(
        this.url(nsid, { did }),
        { 'accept-encoding': this.plainCar ? 'identity' : 'gzip' },
        signal,
      )
    } catch (err) {
      deadline.stop()
      if (opts.signal.aborted) throw err
      throw new FetchFailure('transient', `${nsid}: ${message(err)}`)
    }
    const status = res.statusCode ?? 0
    if (status < 200 || status >= 300) {
      let text = ''
      try {
        text = await readText(res, 64 * 1024)
      } catch {
        // The status says enough.
      } finally {
        deadline.stop()
      }
      throw statusFailure(nsid, status, text)
    }
    const declared = Number(res.headers['content-length'] ?? NaN)
    const encoding = res.headers['content-encoding'] ?? 'identity'
    if (declared > maxBytes || (encoding !== 'identity' && encoding !== 'gzip')) {
      deadline.stop()
      res.destroy()
      throw new FetchFailure(
        'invalid',
        declared > maxBytes
          ? `repo CAR of ${declared} bytes exceeds ${maxBytes}`
          : `repo CAR in an encoding not asked for: ${encoding}`,
      )
    }
    // A failure of either stream destroys the last one with that error, which its reader then sees.
    const body: Readable = encoding === 'gzip' ? pipeline(res, createGunzip(), () => {}) : res
    return capped(body, maxBytes, deadline)
  }

  async listRecords(
    did: string,
    collection: string,
    cursor: string | undefined,
    opts: RequestOptions,
  ): Promise<{ records: ListedRecord[]; cursor?: string }> {
    const params: Record<string, string> = { repo: did, collection, limit: '100' }
    if (cursor) params.cursor = cursor
    const body = await this.json('com.atproto.repo.listRecords', params, opts)
    if (!Array.isArray(body.records)) throw new FetchFailure('invalid', 'listRecords: no records array')
    const records = (body.records as unknown[]).filter(isListedRecord)
    return { records, cursor: typeof body.cursor === 'string' ? body.cursor : undefined }
  }

  private async json(
    nsid: string,
    params: Record<string, string>,
    opts: RequestOptions,
  ): Promise<Record<string, unknown>> {
    const res = await this.request(nsid, params, opts)
    try {
      const body = await res.json()
      if (typeof body !== 'object' || body === null) throw new Error('not an object')
      return body as Record<string, unknown>
    } catch (err) {
      throw new FetchFailure('transient', `${nsid}: unreadable answer: ${message(err)}`)
    }
  }

  private async request(
    nsid: string,
    params: Record<string, string>,
    opts: RequestOptions,
  ): Promise<Response> {
    let res: Response
    try {
      res = await fetch(this.url(nsid, params), {
        signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]),
        redirect: 'follow',
      })
    } catch (err) {
      if (opts.signal.aborted) throw err
      throw new FetchFailure('transient', `${nsid}: ${message(err)}`)
    }
    if (res.ok) return res
    let text = ''
    try {
      text = await res.text()
    } catch {
      // The status says enough.
    }
    throw statusFailure(nsid, res.status, text)
  }

  private url(nsid: string, params: Record<string, string>): URL {
    const url = new URL(`/xrpc/${nsid}`, this.serviceUrl)
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    return url
  }
}

/** What an XRPC error answer means for the job: gone, try later, or try another way. */
function statusFailure(nsid: string, status: number, text: string): FetchFailure {
  let error = ''
  let detail = ''
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown }
    error = typeof body.error === 'string' ? body.error : ''
    detail = typeof body.message === 'string' ? body.message : ''
  } catch {
    // Not an XRPC error body; the status says enough.
  }
  const summary = `${nsid}: ${status} ${error} ${detail}`.trim()
  if (UNAVAILABLE.has(error)) return new FetchFailure('unavailable', summary)
  if (status === 400 && /could not find repo|repo not found/i.test(detail)) {
    return new FetchFailure('unavailable', summary)
  }
  const retryLater = status === 408 || status === 429 || (status >= 500 && status !== 501)
  return new FetchFailure(retryLater ? 'transient' : 'invalid', summary)
}

const MAX_REDIRECTS = 5

/** A GET over node:http(s), following redirects; resolves with the response once its head is in. */
async function httpGet(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  for (let redirects = 0; ; redirects++) {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const get = url.protocol === 'https:' ? https.get : url.protocol === 'http:' ? http.get : undefined
      if (!get) {
        reject(new Error(`unsupported protocol ${url.protocol}`))
        return
      }
      get(url, { headers, signal }, resolve).on('error', reject)
    })
    const status = res.statusCode ?? 0
    const location = res.headers.location
    if (![301, 302, 303, 307, 308].includes(status) || !location) return res
    res.resume()
    if (redirects >= MAX_REDIRECTS) throw new Error('too many redirects')
    url = new URL(location, url)
  }
}

/** A (small) body as text, up to `max` bytes. */
async function readText(body: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk)
    size += chunk.length
    if (size > max) {
      body.destroy()
      break
    }
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Loopback and private-network ranges: a PDS there is on this machine or its local network. */
const NEARBY = new BlockList()
NEARBY.addSubnet('127.0.0.0', 8, 'ipv4')
NEARBY.addSubnet('10.0.0.0', 8, 'ipv4')
NEARBY.addSubnet('172.16.0.0', 12, 'ipv4')
NEARBY.addSubnet('192.168.0.0', 16, 'ipv4')
NEARBY.addSubnet('169.254.0.0', 16, 'ipv4')
NEARBY.addAddress('::1', 'ipv6')
NEARBY.addSubnet('fc00::', 7, 'ipv6')
NEARBY.addSubnet('fe80::', 10, 'ipv6')

/**
 * Whether a PDS host is named as local: `localhost` or a loopback or private-network address. The reference PDS
 * gzips repo CARs for a client that accepts it, which costs it about twice the CPU of building the CAR (a
 * 10,000-record repo: ≈ 0.9 CPU-s gzipped against ≈ 0.3 plain, 2.8 MB plain against 0.8 MB gzipped) and costs
 * the reader the inflating. Over the internet the bytes saved are worth it; from a PDS on the same machine or
 * network they are not, so the CAR is asked for plain there. A host known only by a name is taken as remote.
 */
export function nearbyHost(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  const family = isIP(host)
  if (family === 0) return false
  return NEARBY.check(host, family === 4 ? 'ipv4' : 'ipv6')
}

/** Aborts its signal when a wait it times (from `start` to `stop`) lasts longer than `ms`. */
class WaitTimer {
  private controller = new AbortController()
  private timer: NodeJS.Timeout | undefined

  constructor(private ms: number) {
    this.start()
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  start(): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(
      () => this.controller.abort(new Error(`nothing received for ${this.ms} ms`)),
      this.ms,
    )
  }

  stop(): void {
    clearTimeout(this.timer)
  }
}

async function* capped(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  deadline: WaitTimer,
): AsyncIterable<Uint8Array> {
  let total = 0
  let finished = false
  const chunks = body[Symbol.asyncIterator]()
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>
      // The clock runs only while a chunk is awaited: from the request until the first, then for each next one.
      try {
        next = await chunks.next()
      } catch (err) {
        finished = true
        throw new FetchFailure('transient', `getRepo body: ${message(err)}`)
      } finally {
        deadline.stop()
      }
      if (next.done) {
        finished = true
        return
      }
      total += next.value.byteLength
      if (total > maxBytes) throw new FetchFailure('invalid', `repo CAR exceeds ${maxBytes} bytes`)
      yield next.value
      deadline.start()
    }
  } finally {
    deadline.stop()
    // Given up before the end (too large, or the reader stopped): the connection is closed, not left waiting.
    if (!finished) await chunks.return?.()
  }
}

function isListedRecord(value: unknown): value is ListedRecord {
  if (typeof value !== 'object' || value === null) return false
  const r = value as Record<string, unknown>
  return (
    typeof r.uri === 'string' &&
    typeof r.cid === 'string' &&
    typeof r.value === 'object' &&
    r.value !== null &&
    !Array.isArray(r.value)
  )
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
