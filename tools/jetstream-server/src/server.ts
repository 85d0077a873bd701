import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import { EventLog } from './event-log.ts'
import type { LogEntryInput, RetentionOptions } from './event-log.ts'
import { serializeEvent } from './events.ts'
import type { JetstreamEvent, JetstreamEventInput } from './events.ts'
import { filterFromQuery } from './filter.ts'
import type { SubscriberFilter } from './filter.ts'
import { silentLogger } from './logger.ts'
import type { Logger } from './logger.ts'
import { PdsUpstream } from './pds-upstream.ts'
import { appendItems, playItems } from './pump.ts'
import type { PlayOptions, StreamSummary } from './pump.ts'
import { CloseCode, Subscriber } from './subscriber.ts'
import type { SubscriberStats } from './subscriber.ts'
import { syntheticEvents } from './synthetic.ts'
import type { SyntheticOptions } from './synthetic.ts'

export interface JetstreamServerOptions {
  /** TCP port; 0 (default) lets the OS pick a free one. */
  port?: number
  /** Interface to listen on (default 127.0.0.1). */
  host?: string
  /** How much history stays available for cursor replay. */
  retention?: RetentionOptions
  /** Per subscriber, stop writing while this many bytes wait in its socket buffer (default 1 MiB). */
  highWaterMarkBytes?: number
  logger?: Logger
}

export interface AttachPdsOptions {
  /** Upstream seq to resume after (default 0: everything the PDS still holds). */
  cursor?: number
}

/** Client→server messages are small JSON; real Jetstream caps them at 10 MB. */
const MAX_CLIENT_MESSAGE_BYTES = 10_000_000
const CLOSE_GRACE_MS = 1_000

/**
 * A Jetstream v1-compatible server for tests, benchmarks and the local demo: `/subscribe` with
 * `wantedCollections`, `wantedDids`, `cursor`, `maxMessageSizeBytes`, `requireHello` and `options_update`.
 * Events come from `emit` (tests, synthetic streams) or from PDSes attached with `attachPds`.
 */
export class JetstreamServer {
  readonly port: number
  /** `ws://127.0.0.1:<port>/subscribe`, the `endpoint` to give `@skyware/jetstream`. */
  readonly subscribeUrl: string
  private readonly httpServer: http.Server
  private readonly wss: WebSocketServer
  private readonly log: EventLog
  private readonly subscribers = new Set<Subscriber>()
  private readonly upstreams = new Map<string, PdsUpstream>()
  private readonly highWaterMarkBytes: number
  private readonly logger: Logger
  private lastTimeUsValue = 0
  private closing: Promise<void> | null = null

  private constructor(httpServer: http.Server, options: JetstreamServerOptions) {
    this.httpServer = httpServer
    const { address, port } = httpServer.address() as AddressInfo
    this.port = port
    this.subscribeUrl = `ws://${address.includes(':') ? `[${address}]` : address}:${port}/subscribe`
    this.log = new EventLog(options.retention)
    this.highWaterMarkBytes = options.highWaterMarkBytes ?? 1024 * 1024
    this.logger = options.logger ?? silentLogger
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    })
    httpServer.on('request', (req, res) => this.onRequest(req, res))
    httpServer.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head))
  }

  static async create(options: JetstreamServerOptions = {}): Promise<JetstreamServer> {
    const httpServer = http.createServer()
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject)
      httpServer.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        httpServer.off('error', reject)
        resolve()
      })
    })
    return new JetstreamServer(httpServer, options)
  }

  /**
   * Appends an event to the retained log and delivers it to matching subscribers. Without `time_us` the
   * server assigns one (wall clock in µs, strictly increasing); a given `time_us` must exceed every earlier one.
   */
  emit(input: JetstreamEventInput): number {
    const timeUs = this.nextTimeUs(input.time_us)
    const event = { ...input, time_us: timeUs } as JetstreamEvent
    this.append(
      {
        timeUs,
        replayable: true,
        did: event.did,
        collection: event.kind === 'commit' ? event.commit.collection : null,
      },
      serializeEvent(event),
    )
    return timeUs
  }

  /**
   * Sends a text frame as is (possibly malformed) to every subscriber, bypassing filters. Without `timeUs`
   * it only reaches the subscribers connected now. With `timeUs` (which must exceed every earlier time_us) it
   * is retained at that cursor position, so replays include it.
   */
  emitRaw(frame: string, options: { timeUs?: number } = {}): void {
    const replayable = options.timeUs !== undefined
    this.append(
      {
        timeUs: replayable ? this.nextTimeUs(options.timeUs) : this.lastTimeUsValue,
        replayable,
        did: null,
        collection: null,
      },
      frame,
    )
  }

  /** Appends a synthetic stream to the retained log at once, for a client that replays it from a cursor. */
  loadSynthetic(options: SyntheticOptions): StreamSummary {
    return appendItems(this, syntheticEvents(options))
  }

  /** Emits a synthetic stream as a live feed, yielding to the event loop between batches. */
  playSynthetic(options: SyntheticOptions & PlayOptions): Promise<StreamSummary> {
    return playItems(this, syntheticEvents(options), options)
  }

  /** Subscribes to a PDS's `com.atproto.sync.subscribeRepos` and emits what it commits. */
  async attachPds(pdsUrl: string, options: AttachPdsOptions = {}): Promise<void> {
    if (this.upstreams.has(pdsUrl)) throw new Error(`already attached to ${pdsUrl}`)
    const upstream = new PdsUpstream({
      pdsUrl,
      emit: (event) => this.emit(event),
      logger: this.logger,
      cursor: options.cursor,
    })
    this.upstreams.set(pdsUrl, upstream)
    try {
      await upstream.start()
    } catch (err) {
      this.upstreams.delete(pdsUrl)
      throw err
    }
  }

  /** Last upstream seq translated from an attached PDS. */
  upstreamCursor(pdsUrl: string): number {
    return this.upstream(pdsUrl).cursor
  }

  /** Resolves once the attached PDS's frame `seq` (or later) was emitted. */
  waitForUpstreamSeq(pdsUrl: string, seq: number, timeoutMs?: number): Promise<void> {
    return this.upstream(pdsUrl).waitForSeq(seq, timeoutMs)
  }

  /** time_us of the newest emitted event (0 before the first). */
  lastTimeUs(): number {
    return this.lastTimeUsValue
  }

  /** Number of events currently retained for replay. */
  retainedCount(): number {
    return this.log.size
  }

  clientCount(): number {
    return this.subscribers.size
  }

  /** Per-connection backpressure figures, for tests and benchmarks. */
  clientStats(): SubscriberStats[] {
    return [...this.subscribers].map((subscriber) => subscriber.stats())
  }

  /** Resolves once every subscriber was sent everything emitted so far and its socket buffer is empty. */
  async waitForIdle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (![...this.subscribers].every((s) => s.idle)) {
      if (Date.now() > deadline) throw new Error(`subscribers not idle within ${timeoutMs}ms`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  /** Disconnects every client (1001), stops upstreams and the listener; resolves when all are gone. */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.close()))
    this.upstreams.clear()
    const clientsGone = [...this.subscribers].map((subscriber) => this.closeSubscriber(subscriber))
    await Promise.all(clientsGone)
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
    await new Promise<void>((resolve) => {
      this.httpServer.close(() => resolve())
      this.httpServer.closeAllConnections()
    })
  }

  private closeSubscriber(subscriber: Subscriber): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => subscriber.terminate(), CLOSE_GRACE_MS)
      subscriber.onceClosed(() => {
        clearTimeout(timer)
        resolve()
      })
      subscriber.close(CloseCode.GoingAway, 'server shutting down')
    })
  }

  private upstream(pdsUrl: string): PdsUpstream {
    const upstream = this.upstreams.get(pdsUrl)
    if (!upstream) throw new Error(`not attached to ${pdsUrl}`)
    return upstream
  }

  private nextTimeUs(requested: number | undefined): number {
    const last = this.lastTimeUsValue
    let timeUs: number
    if (requested === undefined) {
      timeUs = Math.max(Math.floor((performance.timeOrigin + performance.now()) * 1000), last + 1)
    } else if (!Number.isSafeInteger(requested) || requested <= last) {
      throw new RangeError(`time_us ${requested} must be a safe integer greater than ${last}`)
    } else {
      timeUs = requested
    }
    this.lastTimeUsValue = timeUs
    return timeUs
  }

  private append(entry: LogEntryInput, frame: string): void {
    if (this.closing) throw new Error('JetstreamServer is closed')
    this.log.append(entry, frame)
    for (const subscriber of this.subscribers) subscriber.schedule()
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost')
    if (pathname === '/subscribe') {
      respond(res, 426, { error: 'UpgradeRequired', message: 'connect with a WebSocket' })
    } else if (pathname === '/') {
      respond(res, 200, {
        service: 'jetstream-server',
        clients: this.subscribers.size,
        retained: this.log.size,
        lastTimeUs: this.lastTimeUsValue,
        upstreams: Object.fromEntries([...this.upstreams].map(([url, u]) => [url, u.cursor])),
      })
    } else {
      respond(res, 404, { error: 'NotFound' })
    }
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== '/subscribe') return rejectUpgrade(socket, 404, 'not found')
    if (this.closing) return rejectUpgrade(socket, 503, 'server shutting down')
    const params = url.searchParams
    const filter = filterFromQuery(params)
    if (!filter.ok) return rejectUpgrade(socket, 400, filter.error)
    const cursor = params.get('cursor')
    if (cursor !== null && cursor !== '' && !/^\d+$/.test(cursor)) {
      return rejectUpgrade(socket, 400, `invalid cursor: ${cursor}`)
    }
    if (params.get('compress') === 'true') {
      return rejectUpgrade(socket, 400, 'compress=true (zstd) is not supported by this server')
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.addSubscriber(
        ws,
        socket,
        filter.filter,
        cursor ? Number(cursor) : null,
        params.get('requireHello'),
      )
    })
  }

  private addSubscriber(
    ws: WebSocket,
    socket: Duplex,
    filter: SubscriberFilter,
    cursorUs: number | null,
    requireHello: string | null,
  ): void {
    const subscriber = new Subscriber({
      ws,
      socket,
      log: this.log,
      filter,
      // No cursor means live: start after everything emitted so far. A cursor older than the retained
      // window starts at its oldest entry; one in the future starts live.
      startSeq: cursorUs === null ? this.log.nextSeq : this.log.seqForCursor(cursorUs),
      waitForHello: requireHello === 'true',
      highWaterMarkBytes: this.highWaterMarkBytes,
      onClose: (closed) => this.subscribers.delete(closed),
    })
    this.subscribers.add(subscriber)
  }
}

function respond(res: http.ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: http.STATUS_CODES[status] ?? 'Error', message })
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  )
}
