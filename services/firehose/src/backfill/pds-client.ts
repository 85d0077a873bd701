import { BlockList, isIP } from 'node:net'

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
   */
  async getRepo(did: string, maxBytes: number, opts: RequestOptions): Promise<AsyncIterable<Uint8Array>> {
    const deadline = new WaitTimer(opts.timeoutMs)
    let res: Response
    try {
      res = await this.request(
        'com.atproto.sync.getRepo',
        { did },
        {
          ...opts,
          deadline,
          headers: this.plainCar ? { 'accept-encoding': 'identity' } : undefined,
        },
      )
    } catch (err) {
      deadline.stop()
      throw err
    }
    const declared = Number(res.headers.get('content-length') ?? NaN)
    if (declared > maxBytes || !res.body) {
      deadline.stop()
      await res.body?.cancel()
      throw new FetchFailure('invalid', `repo CAR of ${declared} bytes exceeds ${maxBytes}`)
    }
    return capped(res.body as unknown as AsyncIterable<Uint8Array>, maxBytes, deadline)
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
    opts: RequestOptions & { deadline?: WaitTimer; headers?: Record<string, string> },
  ): Promise<Response> {
    const url = new URL(`/xrpc/${nsid}`, this.serviceUrl)
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    let res: Response
    try {
      res = await fetch(url, {
        signal: AbortSignal.any([opts.signal, opts.deadline?.signal ?? AbortSignal.timeout(opts.timeoutMs)]),
        redirect: 'follow',
        headers: opts.headers,
      })
    } catch (err) {
      if (opts.signal.aborted) throw err
      throw new FetchFailure('transient', `${nsid}: ${message(err)}`)
    }
    if (res.ok) return res
    let error = ''
    let detail = ''
    try {
      const body = (await res.json()) as { error?: unknown; message?: unknown }
      error = typeof body.error === 'string' ? body.error : ''
      detail = typeof body.message === 'string' ? body.message : ''
    } catch {
      // Not an XRPC error body; the status says enough.
    }
    const text = `${nsid}: ${res.status} ${error} ${detail}`.trim()
    if (UNAVAILABLE.has(error)) throw new FetchFailure('unavailable', text)
    if (res.status === 400 && /could not find repo|repo not found/i.test(detail)) {
      throw new FetchFailure('unavailable', text)
    }
    const retryLater = res.status === 408 || res.status === 429 || (res.status >= 500 && res.status !== 501)
    throw new FetchFailure(retryLater ? 'transient' : 'invalid', text)
  }
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
  const chunks = body[Symbol.asyncIterator]()
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>
      // The clock runs only while a chunk is awaited: from the request until the first, then for each next one.
      try {
        next = await chunks.next()
      } catch (err) {
        throw new FetchFailure('transient', `getRepo body: ${message(err)}`)
      } finally {
        deadline.stop()
      }
      if (next.done) return
      total += next.value.byteLength
      if (total > maxBytes) {
        await chunks.return?.()
        throw new FetchFailure('invalid', `repo CAR exceeds ${maxBytes} bytes`)
      }
      yield next.value
      deadline.start()
    }
  } finally {
    deadline.stop()
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
