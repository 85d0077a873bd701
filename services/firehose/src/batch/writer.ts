import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import {
  applyFollow,
  applyUnfollow,
  fanOutFeedItems,
  removeFromTimelines,
  WRITERS_LOCK_KEY,
} from '@sundial/common'
import type { Db, DbTx } from '@sundial/common'
import { addActorAggDeltas, addPostAggDeltas } from '../db/aggregates.ts'
import { arrayLiteral, didOfUri } from '../db/rows.ts'
import { ensureActors, setAccountStatus, setHandles } from '../db/actors.ts'
import { writeCursor, writeLaneCursor } from '../db/cursor.ts'
import type { LaneCursor } from '../db/cursor.ts'
import { deleteFollows, insertFollows } from '../db/follows.ts'
import { deleteLikes, insertLikes } from '../db/likes.ts'
import { localUsersAmong, withLocalViewers } from '../db/local-users.ts'
import { deletePosts, insertPosts } from '../db/posts.ts'
import { deleteProfiles, insertProfiles } from '../db/profiles.ts'
import { deleteReposts, insertReposts } from '../db/reposts.ts'
import { clearTombstones, findTombstones, writeTombstones } from '../db/tombstones.ts'
import { AggregateDeltas } from '../indexers/aggregates.ts'
import { countFollow } from '../indexers/follow.ts'
import { countLike } from '../indexers/like.ts'
import { countPost } from '../indexers/post.ts'
import { countRepost } from '../indexers/repost.ts'
import type { IndexEvent } from '../ingest/events.ts'
import { reject } from '../ingest/rejections.ts'
import type { RejectionLog } from '../ingest/rejections.ts'
import type { Logger } from '../logger.ts'
import type { FirehoseMetrics } from '../metrics.ts'
import { planBatch } from './plan.ts'
import type { RecordChanges, ScopeFilter, WritePlan } from './plan.ts'

export interface FollowChange {
  followerDid: string
  subjectDid: string
}

export interface CommittedBatch {
  plan: WritePlan
  /** Follows by local users created or removed in this batch (backfill listens for them). */
  localFollows: FollowChange[]
  localUnfollows: FollowChange[]
}

export interface BatchWriterOptions {
  db: Db
  logger: Logger
  metrics: FirehoseMetrics
  rejections: RejectionLog
  scope?: ScopeFilter
  /** The writer lane this writer is (its cursor row); absent, the cursor goes straight into the `firehose` row. */
  lane?: LaneCursor
  /** Called after each commit, in order. */
  onCommitted?: (batch: CommittedBatch) => Promise<void> | void
}

/**
 * Writes batches of events, each in one transaction together with the cursor that covers it. Lost connections
 * and lock conflicts are retried until they succeed (or the writer is stopped); data Postgres refuses is narrowed
 * down by halving the batch until the one event that causes it is found and skipped.
 */
export class BatchWriter {
  /** Authors whose actor row a committed batch made sure of: no need to ask Postgres again. */
  private knownActors = new BoundedSet<string>(50_000)

  constructor(private opts: BatchWriterOptions) {}

  async write(events: IndexEvent[], signal: AbortSignal): Promise<void> {
    if (events.length === 0) return
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted()
      try {
        await this.commit(events)
        return
      } catch (err) {
        if (signal.aborted) throw err
        if (err instanceof ExclusiveLockNeeded) {
          // A follow author became a local user after the lock was chosen: redo the batch, now exclusively.
          this.opts.metrics.commitErrors.inc({ kind: 'transient' })
          continue
        }
        if (classifyError(err) === 'data') {
          this.opts.metrics.commitErrors.inc({ kind: 'data' })
          await this.isolate(events, err, signal)
          return
        }
        this.opts.metrics.commitErrors.inc({ kind: 'transient' })
        const delayMs = Math.min(10_000, 100 * 2 ** Math.min(attempt, 7))
        this.opts.logger.warn(
          { err, attempt, delayMs, events: events.length },
          'batch commit failed; retrying',
        )
        await sleep(delayMs, undefined, { signal })
      }
    }
  }

  private async isolate(events: IndexEvent[], err: unknown, signal: AbortSignal): Promise<void> {
    if (events.length === 1) {
      const ev = events[0]
      if (ev.kind === 'skip') {
        this.opts.logger.error({ err, timeUs: ev.timeUs }, 'cursor-only commit refused; skipping it')
        return
      }
      const uri = ev.kind === 'write' || ev.kind === 'delete' ? ev.uri : undefined
      const did = ev.kind === 'write' || ev.kind === 'delete' ? ev.did : ev.row.did
      this.opts.rejections.record(reject('db_rejected', errorMessage(err)), { did, uri, timeUs: ev.timeUs })
      await this.write([{ kind: 'skip', timeUs: ev.timeUs }], signal)
      return
    }
    const middle = events.length >>> 1
    await this.write(events.slice(0, middle), signal)
    await this.write(events.slice(middle), signal)
  }

  private async commit(events: IndexEvent[]): Promise<void> {
    const started = performance.now()
    const plan = planBatch(events, this.opts.scope)
    const authors = plan.authors
    plan.authors = authors.filter((did) => !this.knownActors.has(did))
    const changes = await this.opts.db.transaction().execute(async (tx) => {
      return applyPlan(tx, plan, { lane: this.opts.lane, live: true })
    })
    for (const did of plan.authors) this.knownActors.add(did)
    plan.authors = authors
    const { metrics } = this.opts
    metrics.commitSeconds.observe((performance.now() - started) / 1000)
    metrics.batchSize.observe(events.length)
    for (const [key, n] of plan.counts) {
      const [kind, collection, operation] = key.split('|')
      metrics.events.inc({ kind, collection, operation }, n)
    }
    await this.opts.onCommitted?.({ plan, ...changes })
  }
}

/** Thrown when a batch holding the writers' lock shared turns out to change a local user's follows. */
export class ExclusiveLockNeeded extends Error {
  constructor() {
    super('a follow by a local user needs the writers lock exclusively')
  }
}

export interface ApplyOptions {
  /** Where the plan's cursor goes: a writer lane's row and the `firehose` minimum; absent, the `firehose` row. */
  lane?: LaneCursor
  /**
   * A live commit: it does not wait for the write-ahead log to reach disk (`synchronous_commit = off` for this
   * transaction). Safe for what the firehose promises: each transaction carries the cursor of the rows it writes,
   * and Postgres recovers whole transactions in commit order, so a crash of Postgres or the machine can only lose
   * the newest few commits entirely, rows and cursor together; the firehose then replays from the cursor that
   * survived. Never a torn batch, never a cursor ahead of its rows. What it saves is the flush wait on each batch.
   */
  live?: boolean
}

/**
 * Takes the writers' lock for this transaction: shared, so writer lanes run side by side, unless the batch
 * creates or deletes a follow whose author is a local user. Then exclusively: a local user's follow of B
 * copies B's feed items into their timeline while a concurrent lane may be fanning out B's new post to B's
 * followers; each reading the other's work as not yet committed, both would miss the item (and an unfollow
 * would leave it behind). Alone, the follow change sees every post committed before it, and every post after
 * it sees the follow. Returns whether the lock is exclusive.
 */
async function lockWriters(tx: DbTx, plan: WritePlan, live: boolean): Promise<boolean> {
  const followAuthors = new Set<string>()
  for (const w of plan.follows.write) followAuthors.add(w.row.authorDid)
  for (const uri of plan.follows.remove) followAuthors.add(didOfUri(uri))
  const authors = arrayLiteral([...followAuthors])
  const { rows } = await sql<{ exclusive: boolean }>`
    select x.exclusive,
      case when x.exclusive then pg_advisory_xact_lock(${WRITERS_LOCK_KEY})
        else pg_advisory_xact_lock_shared(${WRITERS_LOCK_KEY}) end
      ${live ? sql`, set_config('synchronous_commit', 'off', true)` : sql``}
    from (select exists (select 1 from local_user where did = any(${authors}::text[])) as exclusive) x
  `.execute(tx)
  return rows[0].exclusive
}

/** Applies a plan inside one transaction; the cursor goes in last. */
export async function applyPlan(
  tx: DbTx,
  plan: WritePlan,
  opts: ApplyOptions = {},
): Promise<Omit<CommittedBatch, 'plan'>> {
  const exclusive = await lockWriters(tx, plan, opts.live ?? false)
  await dropStaleWrites(tx, plan)
  const deltas = new AggregateDeltas()

  const removedPosts = await deletePosts(tx, plan.posts.remove)
  for (const p of removedPosts) countPost(deltas, p, -1)
  const removedReposts = await deleteReposts(tx, plan.reposts.remove)
  for (const r of removedReposts) countRepost(deltas, r, -1)
  for (const l of await deleteLikes(tx, plan.likes.remove)) countLike(deltas, l, -1)
  const removedFollows = await deleteFollows(tx, plan.follows.remove)
  for (const f of removedFollows) countFollow(deltas, f, -1)
  await deleteProfiles(tx, plan.profiles.remove)

  const insertedPosts = await insertPosts(tx, rowsOf(plan.posts))
  for (const p of insertedPosts) countPost(deltas, p, 1)
  const insertedReposts = await insertReposts(tx, rowsOf(plan.reposts))
  for (const r of insertedReposts) countRepost(deltas, r, 1)
  for (const l of await insertLikes(tx, rowsOf(plan.likes))) countLike(deltas, l, 1)
  const insertedFollows = await insertFollows(tx, rowsOf(plan.follows))
  for (const f of insertedFollows) countFollow(deltas, f, 1)
  await insertProfiles(tx, rowsOf(plan.profiles))

  await writeTombstones(tx, plan.tombstones)
  await ensureActors(tx, plan.authors)
  await setHandles(tx, plan.identities)
  await setAccountStatus(tx, plan.accounts)
  await addPostAggDeltas(tx, deltas.postRows())
  await addActorAggDeltas(tx, deltas.actorRows())

  // Timelines: new items in, deleted items (and items showing a deleted post) out, follows of local users.
  const newItems = [
    ...insertedPosts.map((p) => ({ uri: p.uri, by: p.authorDid })),
    ...insertedReposts.map((r) => ({ uri: r.uri, by: r.authorDid })),
  ]
  const seen = await withLocalViewers(tx, [...new Set(newItems.map((i) => i.by))])
  await fanOutFeedItems(
    tx,
    newItems.filter((i) => seen.has(i.by)).map((i) => i.uri),
  )
  const gone = plan.tombstones
    .filter((t) => t.collection === 'app.bsky.feed.post' || t.collection === 'app.bsky.feed.repost')
    .map((t) => t.uri)
  await removeFromTimelines(tx, gone)
  const followAuthors = new Set([...removedFollows, ...insertedFollows].map((f) => f.authorDid))
  const locals = await localUsersAmong(tx, [...followAuthors])
  // A user registered between the choice of lock and now (it waited for no one: registration had committed).
  if (locals.size > 0 && !exclusive) throw new ExclusiveLockNeeded()
  const localUnfollows = removedFollows
    .filter((f) => locals.has(f.authorDid))
    .map((f) => ({ followerDid: f.authorDid, subjectDid: f.subjectDid }))
  const localFollows = insertedFollows
    .filter((f) => locals.has(f.authorDid))
    .map((f) => ({ followerDid: f.authorDid, subjectDid: f.subjectDid }))
  for (const f of localUnfollows) await applyUnfollow(tx, f.followerDid, f.subjectDid)
  for (const f of localFollows) await applyFollow(tx, f.followerDid, f.subjectDid)

  if (plan.cursorUs !== undefined) {
    if (opts.lane) await writeLaneCursor(tx, opts.lane, plan.cursorUs)
    else await writeCursor(tx, plan.cursorUs)
  }
  return { localFollows, localUnfollows }
}

/**
 * A write older than the tombstone of its record is a replay of something since deleted: drop it. A write newer
 * than its tombstone re-creates the record: clear the tombstone.
 */
async function dropStaleWrites(tx: DbTx, plan: WritePlan): Promise<void> {
  const all = [plan.posts, plan.reposts, plan.likes, plan.follows, plan.profiles] as Array<
    RecordChanges<{ uri: string }>
  >
  const uris = all.flatMap((c) => c.write.map((w) => w.row.uri))
  const tombstones = await findTombstones(tx, uris)
  if (tombstones.size === 0) return
  const revived: string[] = []
  for (const changes of all) {
    changes.write = changes.write.filter(({ row, rev }) => {
      if (!tombstones.has(row.uri)) return true
      const deletedRev = tombstones.get(row.uri)
      if (deletedRev !== null && deletedRev !== undefined && deletedRev >= rev) return false
      revived.push(row.uri)
      return true
    })
  }
  await clearTombstones(tx, revived)
}

/** A set that forgets its oldest entries beyond `max`. */
class BoundedSet<T> {
  private items = new Set<T>()

  constructor(private max: number) {}

  has(item: T): boolean {
    return this.items.has(item)
  }

  add(item: T): void {
    if (this.items.has(item)) return
    this.items.add(item)
    if (this.items.size > this.max) {
      const oldest = this.items.values().next().value as T
      this.items.delete(oldest)
    }
  }
}

function rowsOf<Row>(changes: RecordChanges<Row>): Row[] {
  return changes.write.map((w) => w.row)
}

type ErrorClass = 'transient' | 'data'

/**
 * `data`: Postgres refused a value (SQLSTATE classes 22, 23, 54) or our own code threw on an event; halving finds
 * it. Everything else (connection loss, deadlock, serialization, shutdown, a missing table) is retried: those
 * must not cost data.
 */
export function classifyError(err: unknown): ErrorClass {
  const code = (err as { code?: unknown })?.code
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))
    return /^(22|23|54)/.test(code) ? 'data' : 'transient'
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return 'transient'
  const message = errorMessage(err)
  if (/connect|terminat|timeout|ended|closed/i.test(message)) return 'transient'
  return err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError
    ? 'data'
    : 'transient'
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
