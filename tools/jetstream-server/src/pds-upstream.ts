import { setTimeout as sleep } from 'node:timers/promises'
import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import { isCid } from '@atproto/lex-data'
import type { Cid } from '@atproto/lex-data'
import { cborToLex, readCar } from '@atproto/repo'
import { Frame } from '@atproto/xrpc-server'
import type { JetstreamEventInput, JetstreamRecord } from './events.ts'
import type { Logger } from './logger.ts'
import { recordToJson } from './record-json.ts'

export interface PdsUpstreamOptions {
  /** http(s) or ws(s) base URL of the PDS. */
  pdsUrl: string
  /** Receives translated events in upstream order. */
  emit(event: JetstreamEventInput): void
  logger: Logger
  /** Upstream seq to start after; default 0, which replays everything the PDS still holds. */
  cursor?: number
  maxReconnectDelayMs?: number
}

/** Pause reading from the PDS while this many frames await translation. */
const MAX_PENDING_FRAMES = 256

/**
 * A `com.atproto.sync.subscribeRepos` subscription to one PDS, translating its frames into Jetstream events
 * the way Jetstream does: one commit event per op, identity and account events as they come, `#sync` not
 * forwarded (Jetstream v1 does not emit it). After a disconnect it reconnects from the last translated seq.
 */
export class PdsUpstream {
  readonly pdsUrl: string
  private readonly endpoint: URL
  private readonly emit: (event: JetstreamEventInput) => void
  private readonly logger: Logger
  private readonly maxReconnectDelayMs: number
  private cursorValue: number
  private ws: WebSocket | null = null
  private processing: Promise<void> = Promise.resolve()
  private pendingFrames = 0
  private closed = false
  private reconnectAttempts = 0
  private readonly abort = new AbortController()
  private readonly seqWaiters = new Set<SeqWaiter>()

  constructor(options: PdsUpstreamOptions) {
    this.pdsUrl = options.pdsUrl
    this.endpoint = subscribeReposUrl(options.pdsUrl)
    this.emit = options.emit
    this.logger = options.logger
    this.maxReconnectDelayMs = options.maxReconnectDelayMs ?? 5_000
    this.cursorValue = options.cursor ?? 0
  }

  /** Seq of the last upstream frame fully translated (0 before the first). */
  get cursor(): number {
    return this.cursorValue
  }

  /** Connects; resolves once the first connection is open and rejects if it cannot be opened. */
  async start(): Promise<void> {
    await this.connect()
  }

  /** Resolves once the frame with upstream `seq` (or a later one) was translated and emitted. */
  waitForSeq(seq: number, timeoutMs = 10_000): Promise<void> {
    if (this.cursorValue >= seq) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.seqWaiters.delete(waiter)
        reject(new Error(`upstream ${this.pdsUrl} did not reach seq ${seq} within ${timeoutMs}ms`))
      }, timeoutMs)
      const waiter: SeqWaiter = {
        seq,
        settle: (error) => {
          clearTimeout(timer)
          if (error) reject(error)
          else resolve()
        },
      }
      this.seqWaiters.add(waiter)
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.abort.abort()
    for (const waiter of this.seqWaiters) waiter.settle(new Error(`upstream ${this.pdsUrl} closed`))
    this.seqWaiters.clear()
    const ws = this.ws
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closedEvent = new Promise((resolve) => ws.once('close', resolve))
      ws.terminate()
      await closedEvent
    }
    await this.processing
  }

  private connect(): Promise<void> {
    const url = new URL(this.endpoint)
    url.searchParams.set('cursor', String(this.cursorValue))
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 })
    this.ws = ws
    return new Promise<void>((resolve, reject) => {
      let opened = false
      ws.on('open', () => {
        opened = true
        this.reconnectAttempts = 0
        resolve()
      })
      ws.on('message', (data) => this.enqueue(ws, data))
      ws.on('error', (err) => {
        if (!opened) reject(new Error(`cannot subscribe to ${url.origin}: ${err.message}`))
        else this.logger.warn({ err, pdsUrl: this.pdsUrl }, 'upstream socket error')
      })
      ws.on('close', () => {
        if (opened) this.scheduleReconnect()
      })
    })
  }

  private scheduleReconnect(): void {
    if (this.closed) return
    const delay = Math.min(this.maxReconnectDelayMs, 250 * 2 ** this.reconnectAttempts++)
    // Reconnect only after every received frame was translated, so the cursor we send is exact.
    void this.processing
      .then(() => sleep(delay, undefined, { signal: this.abort.signal }))
      .then(
        () => this.connect(),
        () => undefined,
      )
      .catch((err: Error) => {
        this.logger.warn({ err, pdsUrl: this.pdsUrl }, 'upstream reconnect failed')
        this.scheduleReconnect()
      })
  }

  private enqueue(ws: WebSocket, data: RawData): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
    this.pendingFrames++
    if (this.pendingFrames >= MAX_PENDING_FRAMES) ws.pause()
    this.processing = this.processing.then(async () => {
      try {
        await this.handleFrame(ws, bytes)
      } catch (err) {
        this.logger.warn({ err, pdsUrl: this.pdsUrl }, 'could not translate upstream frame')
      } finally {
        this.pendingFrames--
        if (this.pendingFrames < MAX_PENDING_FRAMES / 2 && ws.isPaused) ws.resume()
      }
    })
  }

  private async handleFrame(ws: WebSocket, bytes: Uint8Array): Promise<void> {
    if (this.closed) return
    const frame = Frame.fromBytes(bytes)
    if (frame.isError()) {
      this.logger.warn(
        { pdsUrl: this.pdsUrl, code: frame.code, message: frame.message },
        'upstream error frame',
      )
      // A cursor ahead of the PDS means the PDS was reset: start over from its beginning.
      if (frame.code === 'FutureCursor') this.cursorValue = 0
      ws.close()
      return
    }
    const body = frame.body as Record<string, unknown>
    switch (frame.type) {
      case '#commit':
        await this.translateCommit(body as unknown as CommitBody)
        break
      case '#identity':
        this.translateIdentity(body as unknown as IdentityBody)
        break
      case '#account':
        this.translateAccount(body as unknown as AccountBody)
        break
      case '#info':
        this.logger.info({ pdsUrl: this.pdsUrl, info: body }, 'upstream info frame')
        return
      default:
        // #sync and unknown frames carry a seq but nothing Jetstream v1 forwards.
        break
    }
    if (typeof body.seq === 'number') this.advance(body.seq)
  }

  private async translateCommit(body: CommitBody): Promise<void> {
    const { blocks } = await readCar(body.blocks)
    for (const op of body.ops) {
      const slash = op.path.indexOf('/')
      const collection = op.path.slice(0, slash)
      const rkey = op.path.slice(slash + 1)
      const base = { rev: body.rev, collection, rkey }
      if (op.action === 'delete') {
        this.emit({ did: body.repo, kind: 'commit', commit: { ...base, operation: 'delete' } })
        continue
      }
      if (op.action !== 'create' && op.action !== 'update') continue
      const recordBytes = isCid(op.cid) ? blocks.get(op.cid) : undefined
      if (!op.cid || !recordBytes) {
        this.logger.warn(
          { pdsUrl: this.pdsUrl, seq: body.seq, path: op.path },
          'commit op without its record block',
        )
        continue
      }
      const record = recordToJson(cborToLex(recordBytes)) as JetstreamRecord
      this.emit({
        did: body.repo,
        kind: 'commit',
        commit: { ...base, operation: op.action, record, cid: op.cid.toString() },
      })
    }
  }

  private translateIdentity(body: IdentityBody): void {
    const { did, handle, seq, time } = body
    this.emit({ did, kind: 'identity', identity: handle ? { did, handle, seq, time } : { did, seq, time } })
  }

  private translateAccount(body: AccountBody): void {
    const { active, did, seq, status, time } = body
    this.emit({
      did,
      kind: 'account',
      account: status ? { active, did, seq, status, time } : { active, did, seq, time },
    })
  }

  private advance(seq: number): void {
    this.cursorValue = seq
    for (const waiter of this.seqWaiters) {
      if (seq >= waiter.seq) {
        this.seqWaiters.delete(waiter)
        waiter.settle()
      }
    }
  }
}

interface SeqWaiter {
  seq: number
  settle(error?: Error): void
}

interface CommitBody {
  seq: number
  repo: string
  rev: string
  blocks: Uint8Array
  ops: { action: string; path: string; cid: Cid | null }[]
  time: string
}

interface IdentityBody {
  seq: number
  did: string
  time: string
  handle?: string
}

interface AccountBody {
  seq: number
  did: string
  time: string
  active: boolean
  status?: string
}

function subscribeReposUrl(pdsUrl: string): URL {
  const url = new URL('/xrpc/com.atproto.sync.subscribeRepos', pdsUrl)
  if (url.protocol === 'http:') url.protocol = 'ws:'
  else if (url.protocol === 'https:') url.protocol = 'wss:'
  return url
}
