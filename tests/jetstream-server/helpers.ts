import { Jetstream } from '@skyware/jetstream'
import WebSocket from 'ws'
import type { JetstreamEvent, JetstreamEventInput, JetstreamServer } from '@sundial/jetstream-server'

export const ALICE = 'did:plc:alice2alice2alice2alice2'
export const BOB = 'did:plc:bob2bob2bob2bob2bob2bob2'

/** Polls `condition` until it holds; fails with `message` after `timeoutMs`. */
export async function until(condition: () => boolean, message: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

let rkeyCounter = 0

/** A create commit with a minimal record of `collection`'s type. */
export function createCommit(did: string, collection: string, text?: string): JetstreamEventInput {
  const rkey = `3lzzzzzz${(rkeyCounter++).toString(32).padStart(5, '2')}`
  const record: { $type: string; [key: string]: unknown } = {
    $type: collection,
    createdAt: '2026-01-01T00:00:00.000Z',
  }
  if (text !== undefined) record.text = text
  return {
    did,
    kind: 'commit',
    commit: {
      rev: rkey,
      operation: 'create',
      collection,
      rkey,
      record,
      cid: 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i',
    },
  }
}

export function identityEvent(did: string, handle: string): JetstreamEventInput {
  return { did, kind: 'identity', identity: { did, handle, seq: 1, time: '2026-01-01T00:00:00.000Z' } }
}

export function accountEvent(did: string, active: boolean): JetstreamEventInput {
  return {
    did,
    kind: 'account',
    account: active
      ? { active, did, seq: 2, time: '2026-01-01T00:00:00.000Z' }
      : { active, did, seq: 2, status: 'deactivated', time: '2026-01-01T00:00:00.000Z' },
  }
}

export interface SkywareSubscription {
  client: Jetstream
  received: JetstreamEvent[]
  close(): void
}

type SkywareOptions = NonNullable<ConstructorParameters<typeof Jetstream>[0]>

/** A real `@skyware/jetstream` client, connected; every event it emits is collected in order. */
export async function skyware(
  server: JetstreamServer,
  options: Omit<SkywareOptions, 'ws' | 'endpoint'> = {},
): Promise<SkywareSubscription> {
  const client = new Jetstream({ ...options, ws: WebSocket, endpoint: server.subscribeUrl })
  const received: JetstreamEvent[] = []
  const collect = (event: unknown) => received.push(event as JetstreamEvent)
  client.on('commit', collect)
  client.on('identity', collect)
  client.on('account', collect)
  const opened = new Promise<void>((resolve) => client.on('open', () => resolve()))
  client.start()
  await opened
  return { client, received, close: () => client.close() }
}

export interface RawSubscription {
  ws: WebSocket
  frames: string[]
  closed: Promise<{ code: number; reason: string }>
}

/** A plain `ws` client that records every text frame as is. */
export async function rawSubscription(server: JetstreamServer, query = ''): Promise<RawSubscription> {
  const ws = new WebSocket(`${server.subscribeUrl}${query ? `?${query}` : ''}`)
  const frames: string[] = []
  ws.on('message', (data) => frames.push(data.toString('utf8')))
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  )
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return { ws, frames, closed }
}

const BARRIER_DID = 'did:plc:barrier2barrier2barrier2'
let barrierSeq = 0

/**
 * Waits until `subscription` received everything the server emitted before this call. A server-side
 * "sent" is not enough: frames may still sit in the client's socket. So a marker frame (unfiltered, not
 * retained) is sent behind them and awaited, then removed from what the client collected.
 */
export async function flush(
  server: JetstreamServer,
  subscription: RawSubscription | SkywareSubscription,
  timeoutMs = 15_000,
): Promise<void> {
  const seq = ++barrierSeq
  const marker = JSON.stringify({
    did: BARRIER_DID,
    time_us: server.lastTimeUs(),
    kind: 'identity',
    identity: { did: BARRIER_DID, seq, time: '2026-01-01T00:00:00.000Z' },
  })
  server.emitRaw(marker)
  if ('frames' in subscription) {
    await until(() => subscription.frames.includes(marker), 'flush marker', timeoutMs)
    subscription.frames.splice(subscription.frames.indexOf(marker), 1)
  } else {
    const isMarker = (e: JetstreamEvent) =>
      e.kind === 'identity' && e.did === BARRIER_DID && e.identity.seq === seq
    await until(() => subscription.received.some(isMarker), 'flush marker', timeoutMs)
    subscription.received.splice(subscription.received.findIndex(isMarker), 1)
  }
}
