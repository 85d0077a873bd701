// Sundial's firehose (with its backfill worker) against a local atproto network, and what the tests need to
// seed repos and to compute the timeline the reference AppView's rule gives.
import type { Server } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { FirehoseService } from '@sundial/firehose'
import type { BackfillConfig, FirehoseConfig } from '@sundial/firehose'
import type { Db } from '@sundial/common'
import type { DevNetwork, DevUser, TestDatabase } from '@sundial/devnet'

export function backfillConfig(plcUrl: string, overrides: Partial<BackfillConfig> = {}): BackfillConfig {
  return {
    plcUrl,
    days: null,
    concurrency: 4,
    concurrencyPerHost: 2,
    maxAttempts: 8,
    retryBaseMs: 200,
    retryMaxMs: 2000,
    leaseSeconds: 30,
    fetchTimeoutMs: 20_000,
    maxCarBytes: 64 * 1024 * 1024,
    batchSize: 500,
    maxBufferedBytes: 8 * 1024 * 1024,
    replayWindowHours: 24,
    ...overrides,
  }
}

export function firehoseConfig(
  net: DevNetwork,
  database: TestDatabase,
  overrides: Partial<FirehoseConfig> = {},
): FirehoseConfig {
  return {
    db: { url: database.url, dataDir: '', embeddedPort: 0, poolSize: 6 },
    jetstreamUrl: net.jetstream.subscribeUrl,
    batchSize: 1000,
    batchMs: 20,
    queueMax: 20_000,
    queueMaxBytes: 64 * 1024 * 1024,
    rewindSeconds: 10,
    maxRecordBytes: 128 * 1024,
    indexScope: 'all',
    scopeRefreshMs: 10_000,
    statsMs: 500,
    port: 0,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    backfill: backfillConfig(net.plcUrl),
    ...overrides,
  }
}

export async function startSundial(cfg: FirehoseConfig, database: TestDatabase): Promise<FirehoseService> {
  const service = await FirehoseService.create(cfg, { database, serveHttp: false })
  await service.start()
  return service
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined/false; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(intervalMs)
  }
}

/** Everything the PDS committed has been emitted by the Jetstream server and committed by Sundial. */
export async function waitForFirehose(net: DevNetwork, service: FirehoseService): Promise<void> {
  await net.sync()
  const last = net.jetstream.lastTimeUs()
  await waitFor('the firehose to catch up', async () => (service.cursor ?? 0) >= last)
}

export async function jobCounts(db: Db): Promise<Record<string, number>> {
  const { rows } = await sql<{ state: string; n: string }>`
    select state, count(*) as n from backfill_job group by state
  `.execute(db)
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]))
}

/** No backfill job waiting or running. */
export async function waitForQueueIdle(db: Db, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    'the backfill queue to drain',
    async () => {
      const counts = await jobCounts(db)
      return !counts.pending && !counts.running
    },
    timeoutMs,
  )
}

/** A's materialised timeline as getTimeline reads it: newest first, cid breaking ties. */
export async function timelineUris(db: Db, viewer: string): Promise<string[]> {
  const { rows } = await sql<{ uri: string }>`
    select uri from timeline_item where viewer_did = ${viewer} order by sort_at desc, cid desc
  `.execute(db)
  return rows.map((r) => r.uri)
}

export interface Written {
  uri: string
  cid: string
  createdAt: string
}

let clock = Date.now() - 6 * 3_600_000

/**
 * Distinct createdAt values, oldest first, so the expected order never depends on a tie; always in the past, so
 * sortAt is createdAt for the reference AppView (which indexed the record live) and for backfill alike.
 */
function nextCreatedAt(): string {
  clock += 10
  return new Date(clock).toISOString()
}

/** Creates records through applyWrites in batches of 200, as a client writing fast would. */
async function writeMany(user: DevUser, collection: string, values: Array<Record<string, unknown>>) {
  const written: Written[] = []
  for (let i = 0; i < values.length; i += 200) {
    const batch = values.slice(i, i + 200)
    const { data } = await user.agent.com.atproto.repo.applyWrites({
      repo: user.did,
      writes: batch.map((value) => ({ $type: 'com.atproto.repo.applyWrites#create', collection, value })),
    })
    data.results!.forEach((r, j) => {
      const result = r as { uri: string; cid: string }
      written.push({ uri: result.uri, cid: result.cid, createdAt: batch[j].createdAt as string })
    })
  }
  return written
}

export async function writePosts(user: DevUser, n: number, label = user.handle): Promise<Written[]> {
  const values = Array.from({ length: n }, (_, i) => ({
    $type: 'app.bsky.feed.post',
    text: `${label} post ${i}`,
    createdAt: nextCreatedAt(),
  }))
  return writeMany(user, 'app.bsky.feed.post', values)
}

export async function writeReposts(user: DevUser, subjects: Written[]): Promise<Written[]> {
  const values = subjects.map((s) => ({
    $type: 'app.bsky.feed.repost',
    subject: { uri: s.uri, cid: s.cid },
    createdAt: nextCreatedAt(),
  }))
  return writeMany(user, 'app.bsky.feed.repost', values)
}

export async function writeLikes(user: DevUser, subjects: Written[]): Promise<Written[]> {
  const values = subjects.map((s) => ({
    $type: 'app.bsky.feed.like',
    subject: { uri: s.uri, cid: s.cid },
    createdAt: nextCreatedAt(),
  }))
  return writeMany(user, 'app.bsky.feed.like', values)
}

export async function follow(user: DevUser, subject: string): Promise<Written> {
  const createdAt = nextCreatedAt()
  const { data } = await user.agent.com.atproto.repo.createRecord({
    repo: user.did,
    collection: 'app.bsky.graph.follow',
    record: { $type: 'app.bsky.graph.follow', subject, createdAt },
  })
  return { uri: data.uri, cid: data.cid, createdAt }
}

export async function deleteRecord(user: DevUser, uri: string): Promise<void> {
  const [, , , collection, rkey] = uri.split('/')
  await user.agent.com.atproto.repo.deleteRecord({ repo: user.did, collection, rkey })
}

/** Every record of a collection as the PDS holds it now. */
export async function listAll(net: DevNetwork, did: string, collection: string): Promise<Written[]> {
  const out: Written[] = []
  let cursor: string | undefined
  do {
    const res = await fetch(
      `${net.pdsUrl}/xrpc/com.atproto.repo.listRecords?repo=${did}&collection=${collection}&limit=100` +
        (cursor ? `&cursor=${cursor}` : ''),
    )
    const body = (await res.json()) as {
      records: Array<{ uri: string; cid: string; value: { createdAt: string } }>
      cursor?: string
    }
    for (const r of body.records) out.push({ uri: r.uri, cid: r.cid, createdAt: r.value.createdAt })
    cursor = body.records.length > 0 ? body.cursor : undefined
  } while (cursor)
  return out
}

/**
 * The timeline the reference AppView's rule gives for authors' current posts and reposts: sortAt =
 * min(createdAt, indexedAt) — createdAt here, every record being indexed after it was made — newest first,
 * cid breaking ties.
 */
export async function expectedTimeline(net: DevNetwork, authors: string[]): Promise<string[]> {
  const items: Written[] = []
  for (const did of authors) {
    items.push(...(await listAll(net, did, 'app.bsky.feed.post')))
    items.push(...(await listAll(net, did, 'app.bsky.feed.repost')))
  }
  return items
    .sort(
      (x, y) =>
        Date.parse(y.createdAt) - Date.parse(x.createdAt) || (y.cid < x.cid ? -1 : y.cid > x.cid ? 1 : 0),
    )
    .map((i) => i.uri)
}

interface Terminable {
  terminate(): Promise<void>
}

/**
 * Stops the PDS's HTTP server (every request is refused, open sockets are closed) while the PDS itself keeps
 * its data; the returned function starts it again on the same port, as a restarted PDS process would.
 */
export async function stopPdsHttp(net: DevNetwork): Promise<() => Promise<void>> {
  const pds = net.network.pds.server as unknown as {
    app: { listen(port: number): Server }
    server?: Server
    terminator?: Terminable
  }
  await pds.terminator?.terminate()
  return async () => {
    // The PDS's app.listen also attaches its websocket endpoints to the new server.
    const server = pds.app.listen(net.network.pds.port)
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
    pds.server = server
    pds.terminator = {
      terminate: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
    }
  }
}
