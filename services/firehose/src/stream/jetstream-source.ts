import { Jetstream } from '@skyware/jetstream'
import WebSocket from 'ws'
import type { RawData } from 'ws'
import type { Logger } from '../logger.ts'

export interface JetstreamSourceHandlers {
  /** A parsed event as the client delivered it, with the size of its frame. Must not throw. */
  onEvent(event: unknown, frameBytes: number): void
  /**
   * A frame that never became an event: unparsable JSON, or dropped by the client (missing fields, unknown kind).
   * `timeUs` is the frame's own, when it has one, so the cursor can still move past it in order.
   */
  onBadFrame(
    reason: 'malformed_json' | 'incomplete_event' | 'unknown_kind',
    detail: string,
    timeUs?: number,
  ): void
  onConnectionChange?(connected: boolean): void
}

export interface JetstreamSourceOptions {
  url: string
  wantedCollections: readonly string[]
  /** `time_us` to replay from (inclusive); unset starts at the live tip. */
  cursor?: number
  logger: Logger
  handlers: JetstreamSourceHandlers
}

/**
 * The Jetstream subscription, through @skyware/jetstream (which parses frames and reconnects from the newest
 * time_us it received). Around it this keeps what the client does not expose: the byte size of each frame, frames it
 * drops without a word, and the socket itself, so reading can pause when the writer falls behind.
 */
export class JetstreamSource {
  private client: Jetstream | undefined
  private socket: WebSocket | undefined
  private isPaused = false
  private frameBytes = 0
  /** The current frame has not (yet) come out of the client as an event or an error. */
  private frameOpen = false
  private frame: RawData | undefined

  constructor(private opts: JetstreamSourceOptions) {}

  get paused(): boolean {
    return this.isPaused
  }

  start(): void {
    // The client creates sockets through this class, so each one (including reconnects) is seen here first.
    const attach = (socket: WebSocket) => this.attach(socket)
    class TrackedWebSocket extends WebSocket {
      constructor(address: string | URL, protocols?: string | string[]) {
        super(address, protocols)
        attach(this)
      }
    }
    const client = new Jetstream({
      ws: TrackedWebSocket,
      endpoint: this.opts.url,
      wantedCollections: [...this.opts.wantedCollections],
      cursor: this.opts.cursor,
    })
    client.on('commit', (event) => this.deliver(event))
    client.on('identity', (event) => this.deliver(event))
    client.on('account', (event) => this.deliver(event))
    client.on('open', () => {
      this.opts.logger.info({ url: this.opts.url, cursor: client.cursor }, 'jetstream connected')
      this.opts.handlers.onConnectionChange?.(true)
    })
    client.on('close', () => {
      this.opts.logger.info({ cursor: client.cursor }, 'jetstream disconnected')
      this.opts.handlers.onConnectionChange?.(false)
    })
    client.on('error', (err) => this.onClientError(err))
    this.client = client
    client.start()
  }

  /** Stops reading from the socket; frames already buffered may still arrive. */
  pause(): void {
    this.isPaused = true
    this.socket?.pause()
  }

  resume(): void {
    this.isPaused = false
    this.socket?.resume()
  }

  /** Closes the connection for good and waits (briefly) for the socket to close. */
  async close(): Promise<void> {
    const socket = this.socket
    this.client?.close()
    this.client = undefined
    if (!socket || socket.readyState === WebSocket.CLOSED) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate()
        resolve()
      }, 2000)
      socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  private attach(socket: WebSocket): void {
    this.socket = socket
    // Registered before the client's own listener, so the size is known when the event comes out.
    socket.on('message', (data: RawData) => this.onFrame(data))
    socket.on('open', () => {
      if (this.isPaused) socket.pause()
    })
  }

  private onFrame(data: RawData): void {
    // The client handles a frame synchronously after this listener: a frame still open when the next one arrives,
    // or once the current burst of frames is handled, was dropped without a word.
    this.checkDropped()
    this.frameOpen = true
    this.frame = data
    this.frameBytes = Array.isArray(data)
      ? data.reduce((n, b) => n + b.length, 0)
      : data instanceof ArrayBuffer
        ? data.byteLength
        : data.length
    queueMicrotask(() => {
      if (this.frame === data) this.checkDropped()
    })
  }

  private checkDropped(): void {
    if (!this.frameOpen) return
    this.frameOpen = false
    const frame = this.frame
    this.frame = undefined
    // Rare, so parsing again is cheap overall; it tells why, and where in the stream the frame was.
    let event: { kind?: unknown; time_us?: unknown } | undefined
    try {
      event = JSON.parse(Buffer.isBuffer(frame) ? frame.toString() : String(frame))
    } catch {
      event = undefined
    }
    const timeUs = typeof event?.time_us === 'number' ? event.time_us : undefined
    const known = event?.kind === 'commit' || event?.kind === 'identity' || event?.kind === 'account'
    if (known)
      this.opts.handlers.onBadFrame('incomplete_event', 'dropped by the client (missing fields)', timeUs)
    else this.opts.handlers.onBadFrame('unknown_kind', `kind ${String(event?.kind)}`, timeUs)
  }

  private deliver(event: unknown): void {
    this.frameOpen = false
    this.frame = undefined
    this.opts.handlers.onEvent(event, this.frameBytes)
  }

  private onClientError(err: unknown): void {
    // The client reports a frame it could not parse (or not read as an event) through the same channel as socket
    // errors; the former carry the frame that caused them.
    if (this.frameOpen && (err instanceof SyntaxError || err instanceof TypeError)) {
      this.frameOpen = false
      this.frame = undefined
      this.opts.handlers.onBadFrame('malformed_json', err.message)
      return
    }
    this.opts.logger.warn({ err }, 'jetstream connection error')
  }
}
