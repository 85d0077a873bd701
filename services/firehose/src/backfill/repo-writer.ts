import { setImmediate as yieldToIo } from 'node:timers/promises'
import { sql } from 'kysely'
import type PQueue from 'p-queue'
import type { Db, DbTx } from '@sundial/common'
import { planBatch } from '../batch/plan.ts'
import { applyPlan, classifyError } from '../batch/writer.ts'
import type { FollowChange } from '../batch/writer.ts'
import { decodeEvent } from '../ingest/decode.ts'
import type { Collection, IndexEvent, RecordDelete, RecordWrite } from '../ingest/events.ts'
import type { BackfillMetrics } from './metrics.ts'
import type { RepoRecord, RepoSnapshot } from './repo-snapshot.ts'
import { holdWritersExclusive } from './write-lock.ts'

export interface RepoWriterOptions {
  db: Db
  metrics: BackfillMetrics
  /** Records written per transaction. */
  batchSize: number
  /** Posts, reposts and likes created before this many days ago are not indexed; null for all. */
  days: number | null
  /** The firehose's record size limit, applied to backfilled records alike. */
  maxRecordBytes: number
  /** Serialises backfill transactions in this process (each takes the writers' lock exclusively anyway). */
  lane: PQueue
}

export interface WriteSummary {
  /** Records inserted or replaced. */
  written: number
  /** Stored records the repo no longer holds, removed. */
  deleted: number
  /** Follows by local users that this backfill added (the repo owner is a local user). */
  localFollows: FollowChange[]
}

const DECODE_CHUNK = 50

const DATED: ReadonlySet<string> = new Set([
  'app.bsky.feed.post',
  'app.bsky.feed.repost',
  'app.bsky.feed.like',
])

/**
 * Writes a fetched repo through the firehose's own write path (planBatch → applyPlan): the same rows, aggregates,
 * tombstone checks and timeline fan-out as live events, without touching the cursor. Every record carries the
 * snapshot's revision, so a record deleted after the snapshot (its tombstone is newer) is never brought back, and
 * rows already newer than the snapshot are left alone. Idempotent: rerunning a snapshot writes nothing new.
 */
export class RepoWriter {
  constructor(private opts: RepoWriterOptions) {}

  async write(
    did: string,
    pdsUrl: string,
    snapshot: RepoSnapshot,
    signal: AbortSignal,
  ): Promise<WriteSummary> {
    const { batchSize, days, maxRecordBytes, metrics, lane } = this.opts
    const cutoff = days === null ? undefined : Date.now() - days * 86_400_000
    // One arrival time for the whole snapshot: it becomes indexedAt, so sortAt = min(createdAt, now).
    const timeUs = Date.now() * 1000
    const summary: WriteSummary = { written: 0, deleted: 0, localFollows: [] }
    // Decoding a batch (CPU) overlaps writing the previous one (Postgres): one batch in flight at a time.
    let writing: Promise<void> = Promise.resolve()
    const flush = async (events: RecordWrite[]) => {
      await writing
      writing = this.writeIsolating(snapshot.rev, events, signal).then((result) => {
        summary.written += result.written
        summary.localFollows.push(...result.localFollows)
        metrics.records.inc({ op: 'write' }, result.written)
      })
      // Awaited before the next write and after the loop; this only keeps a failure from counting as unhandled.
      writing.catch(() => undefined)
    }
    try {
      let events: RecordWrite[] = []
      // Decoded a few hundred at a time, looking at the event loop in between, so replies to the database
      // queries of other jobs (and of this job's previous batch) are not held up behind a long decode.
      for (const chunk of snapshot.batches(DECODE_CHUNK)) {
        signal.throwIfAborted()
        for (const r of chunk) {
          if (cutoff !== undefined && DATED.has(r.collection) && createdBefore(r, cutoff)) continue
          const ev = decodeEvent(toJetstreamEvent(did, snapshot.rev, timeUs, r), r.bytes + 200, {
            maxRecordBytes,
          })
          if ('ok' in ev) metrics.invalidRecords.inc({ reason: ev.reason })
          else if (ev.kind === 'write') events.push(ev)
          if (events.length >= batchSize) {
            await flush(events)
            events = []
          }
        }
        await yieldToIo()
      }
      if (events.length > 0) await flush(events)
    } finally {
      // Never leave a write running behind an error (or a stop).
      await writing.catch(() => undefined)
    }
    await writing
    signal.throwIfAborted()
    const removed = await lane.add(
      () => this.opts.db.transaction().execute((tx) => removeMissing(tx, did, pdsUrl, snapshot, timeUs)),
      { signal },
    )
    summary.deleted = removed
    metrics.records.inc({ op: 'delete' }, removed)
    return summary
  }

  /**
   * Writes a batch; when Postgres refuses a value in it, halves the batch until the record responsible is found
   * and skipped, as the live writer does, so one bad record cannot fail a whole account.
   */
  private async writeIsolating(
    rev: string,
    events: RecordWrite[],
    signal: AbortSignal,
  ): Promise<BatchResult> {
    try {
      return await this.opts.lane.add(
        () => this.opts.db.transaction().execute((tx) => writeBatch(tx, rev, events)),
        { signal },
      )
    } catch (err) {
      if (signal.aborted || classifyError(err) !== 'data') throw err
      if (events.length === 1) {
        this.opts.metrics.invalidRecords.inc({ reason: 'db_rejected' })
        return { written: 0, localFollows: [] }
      }
      const middle = events.length >>> 1
      const first = await this.writeIsolating(rev, events.slice(0, middle), signal)
      const second = await this.writeIsolating(rev, events.slice(middle), signal)
      return {
        written: first.written + second.written,
        localFollows: [...first.localFollows, ...second.localFollows],
      }
    }
  }
}

interface BatchResult {
  written: number
  localFollows: FollowChange[]
}

/** The Jetstream commit event a live create of this record would have been. */
function toJetstreamEvent(did: string, rev: string, timeUs: number, r: RepoRecord): unknown {
  return {
    did,
    time_us: timeUs,
    kind: 'commit',
    commit: {
      rev,
      operation: 'create',
      collection: r.collection,
      rkey: r.rkey,
      record: r.record,
      cid: r.cid,
    },
  }
}

function createdBefore(r: RepoRecord, cutoff: number): boolean {
  const createdAt = r.record.createdAt
  if (typeof createdAt !== 'string') return false
  const ms = Date.parse(createdAt)
  return !Number.isNaN(ms) && ms < cutoff
}

interface StoredVersion {
  cid: string
  rev: string | null
}

/**
 * What is stored for these records now: unchanged ones are skipped, newer ones kept, older ones replaced. Each
 * URI is looked up only in its own collection's table.
 */
async function storedVersions(
  tx: DbTx,
  did: string,
  events: RecordWrite[],
): Promise<Map<string, StoredVersion>> {
  const uris: Record<Collection, string[]> = {
    'app.bsky.feed.post': [],
    'app.bsky.feed.repost': [],
    'app.bsky.feed.like': [],
    'app.bsky.graph.follow': [],
    'app.bsky.actor.profile': [],
  }
  for (const ev of events) uris[ev.record.collection].push(ev.uri)
  const { rows } = await sql<{ uri: string } & StoredVersion>`
    select uri, cid, rev from post where uri = any(${uris['app.bsky.feed.post']}::text[])
    union all select uri, cid, rev from repost where uri = any(${uris['app.bsky.feed.repost']}::text[])
    union all select uri, cid, rev from "like" where uri = any(${uris['app.bsky.feed.like']}::text[])
    union all select uri, cid, rev from follow where uri = any(${uris['app.bsky.graph.follow']}::text[])
    union all select uri, cid, rev from profile where did = ${did}
  `.execute(tx)
  return new Map(rows.map((r) => [r.uri, { cid: r.cid, rev: r.rev }]))
}

async function writeBatch(tx: DbTx, rev: string, events: RecordWrite[]): Promise<BatchResult> {
  await holdWritersExclusive(tx)
  const stored = await storedVersions(tx, events[0].did, events)
  const changed: IndexEvent[] = []
  for (const ev of events) {
    const current = stored.get(ev.uri)
    if (!current) changed.push(ev)
    else if (current.cid !== ev.record.row.cid && (current.rev === null || current.rev < rev)) {
      changed.push({ ...ev, op: 'update' })
    }
  }
  if (changed.length === 0) return { written: 0, localFollows: [] }
  const plan = planBatch(changed)
  // Backfill is not part of the stream: the firehose cursor stays where the live writer put it.
  plan.cursorUs = undefined
  const { localFollows } = await applyPlan(tx, plan)
  const written =
    plan.posts.write.length +
    plan.reposts.write.length +
    plan.likes.write.length +
    plan.follows.write.length +
    plan.profiles.write.length
  return { written, localFollows }
}

/**
 * Stored records of the account that the snapshot does not hold were deleted at or before its revision (rows
 * written after it carry a newer revision and stay): delete them as a live delete would, leaving tombstones.
 * Also records where the account's PDS is and the newest revision seen.
 */
async function removeMissing(
  tx: DbTx,
  did: string,
  pdsUrl: string,
  snapshot: RepoSnapshot,
  timeUs: number,
): Promise<number> {
  await holdWritersExclusive(tx)
  const { rev } = snapshot
  const { rows } = await sql<{ uri: string; collection: Collection }>`
    select uri, 'app.bsky.feed.post' as collection from post where author_did = ${did} and (rev is null or rev < ${rev})
    union all
    select uri, 'app.bsky.feed.repost' from repost where author_did = ${did} and (rev is null or rev < ${rev})
    union all
    select uri, 'app.bsky.feed.like' from "like" where author_did = ${did} and (rev is null or rev < ${rev})
    union all
    select uri, 'app.bsky.graph.follow' from follow where author_did = ${did} and (rev is null or rev < ${rev})
    union all
    select uri, 'app.bsky.actor.profile' from profile where did = ${did} and (rev is null or rev < ${rev})
  `.execute(tx)
  const gone: RecordDelete[] = rows
    .filter((r) => !snapshot.uris.has(r.uri))
    .map((r) => ({ kind: 'delete', timeUs, did, uri: r.uri, rev, collection: r.collection }))
  if (gone.length > 0) {
    const plan = planBatch(gone)
    plan.cursorUs = undefined
    await applyPlan(tx, plan)
  }
  await sql`
    insert into actor (did, pds_endpoint, rev) values (${did}, ${pdsUrl}, ${rev})
    on conflict (did) do update set
      pds_endpoint = excluded.pds_endpoint, rev = greatest(actor.rev, excluded.rev), updated_at = now()
  `.execute(tx)
  return gone.length
}
