import type { Duplex } from 'node:stream'
import type { RawData, WebSocket } from 'ws'
import { EventLog } from './event-log.ts'
import type { LogEntry } from './event-log.ts'
import { filterAccepts, filterFromOptionsUpdate } from './filter.ts'
import type { SubscriberFilter } from './filter.ts'

/** Close codes sent to subscribers. */
export const CloseCode = {
  GoingAway: 1001,
  PolicyViolation: 1008,
} as const

export interface SubscriberOptions {
  ws: WebSocket
  /** The upgraded TCP socket under `ws`; its `drain` event resumes a paused pump. */
  socket: Duplex
  log: EventLog
  filter: SubscriberFilter
  /** First log seq to consider (from the cursor, or the log's end for live-only). */
  startSeq: number
  /** `requireHello=true`: send nothing until the first valid `options_update`. */
  waitForHello: boolean
  /** Stop writing while this many bytes wait in the socket's buffer. */
  highWaterMarkBytes: number
  onClose(subscriber: Subscriber): void
}

export interface SubscriberStats {
  /** Bytes queued in the socket, not yet taken by the kernel. */
  bufferedBytes: number
  /** Log entries not yet examined for this subscriber (its lag). */
  pendingEntries: number
  /** Writing is paused until the socket drains. */
  waitingForDrain: boolean
  waitingForHello: boolean
}

/** Entries examined per turn before yielding, so a selective filter over a long replay cannot hog the loop. */
const SCAN_BUDGET = 20_000

/**
 * One `/subscribe` connection. It reads the shared log at its own pace: replay and live delivery are the same
 * loop, so the switch from one to the other has no gap and no duplicate, and a slow reader costs no memory
 * beyond the socket's bounded write buffer. A reader that falls behind the retained window is disconnected
 * (it can reconnect with its cursor), as real Jetstream drops consumers that cannot keep up.
 */
export class Subscriber {
  private readonly ws: WebSocket
  private readonly socket: Duplex
  private readonly log: EventLog
  private filter: SubscriberFilter
  private nextSeq: number
  /** Frames that are not replayable are only for subscribers that were connected when they were emitted. */
  private readonly joinedSeq: number
  private waitingForHello: boolean
  private readonly highWaterMarkBytes: number
  private readonly closeListeners: (() => void)[] = []
  private pumpScheduled = false
  private awaitingDrain = false
  private closed = false

  constructor(options: SubscriberOptions) {
    this.ws = options.ws
    this.socket = options.socket
    this.log = options.log
    this.filter = options.filter
    this.nextSeq = options.startSeq
    this.joinedSeq = options.log.nextSeq
    this.waitingForHello = options.waitForHello
    this.highWaterMarkBytes = options.highWaterMarkBytes
    this.closeListeners.push(() => options.onClose(this))

    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary))
    this.ws.on('close', () => this.onClosed())
    this.ws.on('error', () => this.ws.terminate())
    this.socket.on('drain', this.onDrain)
    this.schedule()
  }

  /** True once everything emitted so far was handed to the kernel (or the subscriber awaits its hello). */
  get idle(): boolean {
    if (this.closed || this.waitingForHello) return true
    return this.nextSeq >= this.log.nextSeq && this.ws.bufferedAmount === 0
  }

  stats(): SubscriberStats {
    return {
      bufferedBytes: this.ws.bufferedAmount,
      pendingEntries: Math.max(0, this.log.nextSeq - this.nextSeq),
      waitingForDrain: this.awaitingDrain,
      waitingForHello: this.waitingForHello,
    }
  }

  /** Wakes the pump after new entries were appended. Coalesced: many emits in one tick cost one pump. */
  schedule(): void {
    if (this.pumpScheduled || this.awaitingDrain || this.closed) return
    this.pumpScheduled = true
    setImmediate(this.runPump)
  }

  close(code: number, reason: string): void {
    if (this.closed) return
    this.ws.close(code, reason)
  }

  terminate(): void {
    this.ws.terminate()
  }

  /** Calls `listener` once the connection is closed (at once if it already is). */
  onceClosed(listener: () => void): void {
    if (this.closed) listener()
    else this.closeListeners.push(listener)
  }

  private readonly runPump = (): void => {
    this.pumpScheduled = false
    this.pump()
  }

  private readonly onDrain = (): void => {
    if (!this.awaitingDrain) return
    this.awaitingDrain = false
    this.pump()
  }

  private pump(): void {
    if (this.closed || this.waitingForHello || this.ws.readyState !== this.ws.OPEN) return
    if (this.nextSeq < this.log.firstSeq) {
      this.close(CloseCode.PolicyViolation, 'consumer too slow: fell behind the retained window')
      return
    }
    const end = this.log.nextSeq
    let scanned = 0
    while (this.nextSeq < end) {
      if (this.ws.bufferedAmount >= this.highWaterMarkBytes) {
        this.awaitingDrain = true
        return
      }
      if (scanned++ >= SCAN_BUDGET) {
        this.schedule()
        return
      }
      const entry = this.log.get(this.nextSeq++)!
      if (this.wants(entry)) this.ws.send(EventLog.frame(entry), { binary: false })
    }
  }

  private wants(entry: LogEntry): boolean {
    if (!entry.replayable && entry.seq < this.joinedSeq) return false
    return filterAccepts(this.filter, {
      did: entry.did,
      collection: entry.collection,
      byteLength: entry.length,
    })
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return
    let message: unknown
    try {
      message = JSON.parse(rawToString(data))
    } catch {
      return
    }
    if (typeof message !== 'object' || message === null) return
    const { type, payload } = message as { type?: unknown; payload?: unknown }
    // Jetstream ignores message types it does not know.
    if (type !== 'options_update') return
    const result = filterFromOptionsUpdate(payload)
    if (!result.ok) {
      this.close(CloseCode.PolicyViolation, closeReason(`invalid options_update: ${result.error}`))
      return
    }
    this.filter = result.filter
    if (this.waitingForHello) {
      this.waitingForHello = false
      this.schedule()
    }
  }

  private onClosed(): void {
    if (this.closed) return
    this.closed = true
    this.socket.off('drain', this.onDrain)
    for (const listener of this.closeListeners.splice(0)) listener()
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8')
  return data.toString('utf8')
}

/** A WebSocket close reason may hold at most 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.byteLength <= 123) return text
  // Cutting mid-character leaves a replacement char; re-check the byte length after decoding.
  let cut = bytes.subarray(0, 123).toString('utf8')
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1)
  return cut
}
