import { sql } from 'kysely'
import { hashedEquals } from '@sundial/common'
import type { Db, DbTx } from '@sundial/common'
import { planBatch } from '../batch/plan.ts'
import { applyPlan, classifyError } from '../batch/writer.ts'
import type { FollowChange } from '../batch/writer.ts'
import { decodeEvent } from '../ingest/decode.ts'
import type { Collection, IndexEvent, RecordDelete, RecordWrite } from '../ingest/events.ts'
import type { BackfillMetrics } from './metrics.ts'
import type { RecordSink, RepoRecord, RepoSnapshot } from './repo-snapshot.ts'
import { WriteLane } from './write-lane.ts'
import { holdWritersExclusive } from './write-lock.ts'

export interface RepoWriterOptions {
  db: Db
  metrics: BackfillMetrics
  /** Most records written per transaction. */
  batchSize: number
  /** Posts, reposts and likes created before this many days ago are not indexed; null for all. */
  days: number | null
  /** The firehose's record size limit, applied to backfilled records alike. */
  maxRecordBytes: number
  /** Most bytes of records read and not yet written, over every account (a read waits past it). */
  maxBufferedBytes: number
}

export interface WriteSummary {
  /** Records inserted or replaced. */
  written: number
  /** Stored records the repo no longer holds, removed. */
  deleted: number
  /** Follows by local users that this backfill added (the repo owner is a local user). */
  localFollows: FollowChange[]
}

/** Records of one account handed to the lane at a time (the lane joins units up to `batchSize` per transaction). */
const UNIT_RECORDS = 500

const DATED: ReadonlySet<string> = new Set([
  'app.bsky.feed.post',
  'app.bsky.feed.repost',
  'app.bsky.feed.like',
])

/**
 * Writes repos, as they are read, through the firehose's own write path (planBatch → applyPlan): the same rows, aggregates,
 * tombstone checks and timeline fan-out as live events, without touching the cursor. Every record carries the
 * snapshot's revision, so a record deleted after the snapshot (its tombstone is newer) is never brought back, and
 * rows already newer than the snapshot are left alone. Idempotent: rerunning a snapshot writes nothing new.
 */
export class RepoWriter {
  /** Every backfill transaction of this process, one at a time (each takes the writers' lock exclusively anyway). */
  private lane: WriteLane<WriteUnit, UnitResult>
  private buffered: ByteBudget

  constructor(private opts: RepoWriterOptions) {
    this.buffered = new ByteBudget(opts.maxBufferedBytes)
    this.lane = new WriteLane({
      maxSize: opts.batchSize,
      sizeOf: (unit) => (unit.kind === 'records' ? unit.events.length : 1),
      run: (units) => opts.db.transaction().execute((tx) => writeUnits(tx, units)),
      separable: (err) => classifyError(err) === 'data',
    })
  }

  /**
   * Starts writing one account's records: hand them to the session as they are read (`begin`, `add`), then
   * `finish` it with the snapshot they made up. `abandon` it instead on any failure.
   */
  open(did: string, signal: AbortSignal): RepoWriteSession {
    return new RepoWriteSession(
      this.opts,
      did,
      signal,
      (events) => this.writeIsolating(did, events, signal),
      (unit) => this.lane.submit(unit, signal),
      this.buffered,
    )
  }

  /**
   * Writes a batch; when Postgres refuses a value in it, halves the batch until the record responsible is found
   * and skipped, as the live writer does, so one bad record cannot fail a whole account.
   */
  private async writeIsolating(did: string, events: RecordWrite[], signal: AbortSignal): Promise<UnitResult> {
    try {
      return await this.lane.submit({ kind: 'records', did, events }, signal)
    } catch (err) {
      if (signal.aborted || classifyError(err) !== 'data') throw err
      if (events.length === 1) {
        this.opts.metrics.invalidRecords.inc({ reason: 'db_rejected' })
        return { written: 0, localFollows: [], removed: 0 }
      }
      const middle = events.length >>> 1
      const first = await this.writeIsolating(did, events.slice(0, middle), signal)
      const second = await this.writeIsolating(did, events.slice(middle), signal)
      return {
        written: first.written + second.written,
        localFollows: [...first.localFollows, ...second.localFollows],
        removed: 0,
      }
    }
  }
}

/**
 * One account's records on their way to Postgres. Reading and decoding (CPU) overlap writing (Postgres): units go
 * to the lane as they are decoded, so the PDS is read at its own pace and its host slot freed as soon as it can
 * be (however long writing takes), while the lane always has records. Only when the records read and not yet
 * written, over every account, pass the writer's byte budget does `add` wait (and with it the read).
 */
export class RepoWriteSession implements RecordSink {
  private rev: string | undefined
  /** One arrival time for the whole snapshot: it becomes indexedAt, so sortAt = min(createdAt, now). */
  private timeUs = Date.now() * 1000
  private cutoff: number | undefined
  private unitSize: number
  private events: RecordWrite[] = []
  /** Encoded size of `events`. */
  private eventBytes = 0
  private writing = new Set<Promise<void>>()
  private failure: { err: unknown } | undefined
  private summary: WriteSummary = { written: 0, deleted: 0, localFollows: [] }

  constructor(
    private opts: RepoWriterOptions,
    private did: string,
    private signal: AbortSignal,
    private writeUnit: (events: RecordWrite[]) => Promise<UnitResult>,
    private submit: (unit: WriteUnit) => Promise<UnitResult>,
    private buffered: ByteBudget,
  ) {
    this.cutoff = opts.days === null ? undefined : Date.now() - opts.days * 86_400_000
    this.unitSize = Math.min(UNIT_RECORDS, opts.batchSize)
  }

  begin(rev: string): void {
    this.rev = rev
  }

  async add(records: RepoRecord[]): Promise<void> {
    const { rev, did, cutoff, timeUs } = this
    if (rev === undefined) throw new Error('records before their revision')
    this.check()
    const { maxRecordBytes, metrics } = this.opts
    for (const r of records) {
      if (cutoff !== undefined && DATED.has(r.collection) && createdBefore(r, cutoff)) continue
      const ev = decodeEvent(toJetstreamEvent(did, rev, timeUs, r), r.bytes + 200, { maxRecordBytes })
      if ('ok' in ev) metrics.invalidRecords.inc({ reason: ev.reason })
      else if (ev.kind === 'write') {
        this.events.push(ev)
        this.eventBytes += r.bytes
      }
      if (this.events.length >= this.unitSize) await this.flush()
    }
  }

  /** Writes what is left, waits for every write, then removes what the snapshot no longer holds. */
  async finish(pdsUrl: string, snapshot: RepoSnapshot): Promise<WriteSummary> {
    try {
      if (this.events.length > 0) await this.flush()
      await Promise.all(this.writing)
    } finally {
      await this.abandon()
    }
    this.check()
    const { removed } = await this.submit({
      kind: 'close',
      did: this.did,
      pdsUrl,
      snapshot,
      timeUs: this.timeUs,
    })
    this.summary.deleted = removed
    this.opts.metrics.records.inc({ op: 'delete' }, removed)
    return this.summary
  }

  /** Waits for the writes under way to end (never leave one running behind an error or a stop). */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.writing)
  }

  private check(): void {
    this.signal.throwIfAborted()
    if (this.failure) throw this.failure.err
  }

  private async flush(): Promise<void> {
    const events = this.events
    const bytes = this.eventBytes
    this.events = []
    this.eventBytes = 0
    // With nothing of its own under way a session never waits, so every account makes progress.
    if (this.writing.size > 0) await this.buffered.reserve(bytes, this.signal)
    else this.buffered.take(bytes)
    this.check()
    const write = this.writeUnit(events)
      .then((result) => {
        this.summary.written += result.written
        this.summary.localFollows.push(...result.localFollows)
        this.opts.metrics.records.inc({ op: 'write' }, result.written)
      })
      .finally(() => this.buffered.give(bytes))
    this.writing.add(write)
    // A failure ends the session at its next step; this keeps it from counting as unhandled meanwhile.
    write.then(
      () => this.writing.delete(write),
      (err: unknown) => {
        this.writing.delete(write)
        this.failure ??= { err }
      },
    )
  }
}

/** Bytes handed out up to a limit; `reserve` waits (in order) until they fit. */
class ByteBudget {
  private used = 0
  private waiting: Array<{ bytes: number; resolve(): void }> = []

  constructor(private limit: number) {}

  /** Takes the bytes now, past the limit if need be. */
  take(bytes: number): void {
    this.used += bytes
  }

  async reserve(bytes: number, signal: AbortSignal): Promise<void> {
    if (this.waiting.length === 0 && this.used + bytes <= this.limit) {
      this.used += bytes
      return
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        bytes,
        resolve: () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1)
        reject(signal.reason)
        this.wake()
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(waiter)
    })
  }

  give(bytes: number): void {
    this.used -= bytes
    this.wake()
  }

  private wake(): void {
    // One larger than the whole limit goes once nothing else is out.
    while (this.waiting.length > 0) {
      const next = this.waiting[0]
      if (this.used > 0 && this.used + next.bytes > this.limit) return
      this.waiting.shift()
      this.used += next.bytes
      next.resolve()
    }
  }
}

/** What the write lane is given: records of one account, or the closing step of one account's snapshot. */
type WriteUnit =
  | { kind: 'records'; did: string; events: RecordWrite[] }
  | { kind: 'close'; did: string; pdsUrl: string; snapshot: RepoSnapshot; timeUs: number }

interface UnitResult {
  /** Records inserted or replaced. */
  written: number
  /** Follows by local users among them. */
  localFollows: FollowChange[]
  /** Stored records the snapshot no longer holds, deleted (closing step). */
  removed: number
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
 * What is stored for these records now: unchanged ones are skipped, newer ones kept, older ones replaced. Accounts
 * with nothing stored (most backfills are of accounts never seen) are found with a few index probes each; only
 * the records of the others are looked up, each in its own collection's table.
 */
async function storedVersions(tx: DbTx, events: RecordWrite[]): Promise<Map<string, StoredVersion>> {
  const withRows = await accountsWithRows(tx, [...new Set(events.map((ev) => ev.did))])
  const uris: Record<Collection, string[]> = {
    'app.bsky.feed.post': [],
    'app.bsky.feed.repost': [],
    'app.bsky.feed.like': [],
    'app.bsky.graph.follow': [],
    'app.bsky.actor.profile': [],
  }
  const profileDids: string[] = []
  for (const ev of events) {
    if (!withRows.has(ev.did)) continue
    uris[ev.record.collection].push(ev.uri)
    if (ev.record.collection === 'app.bsky.actor.profile') profileDids.push(ev.did)
  }
  if (withRows.size === 0) return new Map()
  const { rows } = await sql<{ uri: string } & StoredVersion>`
    select uri, cid, rev from post where uri = any(${uris['app.bsky.feed.post']}::text[])
    union all select uri, cid, rev from repost where uri = any(${uris['app.bsky.feed.repost']}::text[])
    union all select uri, cid, rev from "like" where uri = any(${uris['app.bsky.feed.like']}::text[])
    union all select uri, cid, rev from follow where uri = any(${uris['app.bsky.graph.follow']}::text[])
    union all select uri, cid, rev from profile where did = any(${profileDids}::text[])
  `.execute(tx)
  return new Map(rows.map((r) => [r.uri, { cid: r.cid, rev: r.rev }]))
}

/** Which of these accounts have any record stored (through the author indexes). */
async function accountsWithRows(tx: DbTx, dids: string[]): Promise<Set<string>> {
  const { rows } = await sql<{ did: string }>`
    select d.did from unnest(${dids}::text[]) as d(did)
    where exists (select 1 from post where author_did = d.did)
      or exists (select 1 from repost where ${hashedEquals('author_did', sql`d.did`)})
      or exists (select 1 from "like" where ${hashedEquals('author_did', sql`d.did`)})
      or exists (select 1 from follow where author_did = d.did)
      or exists (select 1 from profile where did = d.did)
  `.execute(tx)
  return new Set(rows.map((r) => r.did))
}

/**
 * One lane run, in one transaction holding the writers' lock exclusively: the records of every unit through the
 * live write path as one plan, then each closing step.
 */
async function writeUnits(tx: DbTx, units: WriteUnit[]): Promise<UnitResult[]> {
  await holdWritersExclusive(tx)
  const results: UnitResult[] = units.map(() => ({ written: 0, localFollows: [], removed: 0 }))
  const events = units.flatMap((unit) => (unit.kind === 'records' ? unit.events : []))
  if (events.length > 0) {
    const stored = await storedVersions(tx, events)
    const changed: IndexEvent[] = []
    for (const ev of events) {
      const current = stored.get(ev.uri)
      if (!current) changed.push(ev)
      else if (current.cid !== ev.record.row.cid && (current.rev === null || current.rev < ev.rev)) {
        changed.push({ ...ev, op: 'update' })
      }
    }
    if (changed.length > 0) {
      const plan = planBatch(changed)
      // Backfill is not part of the stream: the firehose cursor stays where the live writer put it.
      plan.cursorUs = undefined
      const { localFollows } = await applyPlan(tx, plan)
      // What the plan still writes after its tombstone check, credited to the unit each record came from.
      const written = new Set<string>()
      for (const changes of [plan.posts, plan.reposts, plan.likes, plan.follows, plan.profiles]) {
        for (const w of changes.write as Array<{ row: { uri: string } }>) written.add(w.row.uri)
      }
      // An account's follows go to its first unit here (one account may have several units in a run).
      const credited = new Set<string>()
      units.forEach((unit, i) => {
        if (unit.kind !== 'records') return
        results[i].written = unit.events.filter((ev) => written.has(ev.uri)).length
        if (credited.has(unit.did)) return
        credited.add(unit.did)
        results[i].localFollows = localFollows.filter((f) => f.followerDid === unit.did)
      })
    }
  }
  for (const [i, unit] of units.entries()) {
    if (unit.kind === 'close') {
      results[i].removed = await removeMissing(tx, unit.did, unit.pdsUrl, unit.snapshot, unit.timeUs)
    }
  }
  return results
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
  const { rev } = snapshot
  const { rows } = await sql<{ uri: string; collection: Collection }>`
    select uri, 'app.bsky.feed.post' as collection from post where author_did = ${did} and (rev is null or rev < ${rev})
    union all
    select uri, 'app.bsky.feed.repost' from repost where ${hashedEquals('author_did', did)} and (rev is null or rev < ${rev})
    union all
    select uri, 'app.bsky.feed.like' from "like" where ${hashedEquals('author_did', did)} and (rev is null or rev < ${rev})
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
