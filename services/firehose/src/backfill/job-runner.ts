import type { Db } from '@sundial/common'
import type { FollowChange } from '../batch/writer.ts'
import type { ClaimedJob } from './jobs.ts'
import { doneRev } from './jobs.ts'
import type { BackfillMetrics } from './metrics.ts'
import { FetchFailure, PdsClient, message } from './pds-client.ts'
import type { LatestCommit, RequestOptions } from './pds-client.ts'
import { snapshotFromCar, snapshotFromListing } from './repo-snapshot.ts'
import type { RecordSink, RepoRecord, RepoSnapshot } from './repo-snapshot.ts'
import type { RepoHome, RepoResolver } from './resolver.ts'
import type { RepoWriteSession, RepoWriter } from './repo-writer.ts'

/** How one attempt at a job ended. */
export type JobResult =
  /** The repo was fetched and written. */
  | {
      kind: 'done'
      rev: string
      records: number
      method: 'car' | 'list'
      localFollows: FollowChange[]
      fetchMs: number
      writeMs: number
    }
  /** Already backfilled at the repo's current revision: nothing fetched. */
  | { kind: 'skipped'; rev: string }
  /** The account has no repo to fetch (deleted, deactivated, taken down): nothing to index, not an error. */
  | { kind: 'unavailable'; error: string }
  /** Could not fetch now; try again later. */
  | { kind: 'retry'; error: string }

export interface JobRunnerOptions {
  db: Db
  resolver: RepoResolver
  writer: RepoWriter
  metrics: BackfillMetrics
  fetchTimeoutMs: number
  maxCarBytes: number
  /** Test seam: runs after a repo is fetched and before it is written (to interleave live events there). */
  beforeWrite?: (did: string, rev: string) => Promise<void>
}

/**
 * Backfills one account: reads its repo from its PDS and writes the records as they are authenticated, so Postgres
 * works while the PDS is still sending. Expected failures come back as results.
 */
export class JobRunner {
  constructor(private opts: JobRunnerOptions) {}

  /** `readDone` is called once the PDS has nothing more to send for this job (the rest is writing). */
  async run(job: ClaimedJob, home: RepoHome, signal: AbortSignal, readDone: () => void): Promise<JobResult> {
    const { db, metrics, fetchTimeoutMs, writer, beforeWrite } = this.opts
    let session: RepoWriteSession | undefined
    try {
      const req: RequestOptions = { timeoutMs: fetchTimeoutMs, signal }
      const client = new PdsClient(home.pds)
      const latest = await latestCommit(client, job.did, req)
      // Cheap path: the account was backfilled at exactly this revision, so nothing changed since.
      if (latest && latest.rev === (await doneRev(db, job.did))) return { kind: 'skipped', rev: latest.rev }
      const started = performance.now()
      let snapshot: RepoSnapshot
      let writeStarted: number
      if (beforeWrite) {
        // Test seam: the whole repo is read first, and written only after the seam has run.
        const held = new HeldRecords()
        snapshot = await this.snapshot(client, job.did, home, latest, req, held)
        readDone()
        await beforeWrite(job.did, snapshot.rev)
        writeStarted = performance.now()
        session = writer.open(job.did, signal)
        await held.replay(session)
      } else {
        writeStarted = started
        session = writer.open(job.did, signal)
        snapshot = await this.snapshot(client, job.did, home, latest, req, session)
        readDone()
      }
      const fetchMs = Math.round(performance.now() - started)
      metrics.fetches.inc({ method: snapshot.method })
      const summary = await session.finish(home.pds, snapshot)
      if (home.handle) await this.fillHandle(job.did, home.handle)
      return {
        kind: 'done',
        rev: snapshot.rev,
        records: summary.written + summary.deleted,
        method: snapshot.method,
        localFollows: summary.localFollows,
        fetchMs,
        writeMs: Math.round(performance.now() - writeStarted),
      }
    } catch (err) {
      await session?.abandon()
      if (signal.aborted) throw err
      return failureResult(err)
    } finally {
      readDone()
    }
  }

  /**
   * Identity events carry handles, but an account backfilled before Sundial saw one has none: take the one its
   * DID document claims, once it resolves back to the DID. A handle already known (from the stream) wins.
   */
  private async fillHandle(did: string, claimed: string): Promise<void> {
    const { db, resolver } = this.opts
    const actor = await db.selectFrom('actor').select('handle').where('did', '=', did).executeTakeFirst()
    if (!actor || actor.handle !== null) return
    const handle = await resolver.verifiedHandle(did, claimed)
    if (!handle) return
    await db.updateTable('actor').set({ handle }).where('did', '=', did).where('handle', 'is', null).execute()
  }

  /**
   * The repo as one verified CAR; page by page with listRecords when that fails. Records the CAR already gave stay
   * given: they are authenticated, and as of a revision no older than the listing's.
   */
  private async snapshot(
    client: PdsClient,
    did: string,
    home: RepoHome,
    latest: LatestCommit | undefined,
    req: RequestOptions,
    sink: RecordSink,
  ): Promise<RepoSnapshot> {
    let carFailure: FetchFailure
    try {
      const car = await client.getRepo(did, this.opts.maxCarBytes, req)
      const keys = {
        signingKey: home.signingKey,
        // The signing key may have rotated since the DID document was cached.
        refresh: async () => (await this.opts.resolver.resolve(did, true)).signingKey,
      }
      return await snapshotFromCar(did, car, keys, sink)
    } catch (err) {
      if (req.signal.aborted || !(err instanceof FetchFailure) || err.kind === 'unavailable') throw err
      carFailure = err
    }
    // A listing has no revision of its own: it needs the one read before it.
    if (!latest) throw carFailure
    return snapshotFromListing(client, did, latest.rev, req, sink)
  }
}

/** The repo's current revision; undefined if the PDS cannot say (the CAR carries one anyway). */
async function latestCommit(
  client: PdsClient,
  did: string,
  req: RequestOptions,
): Promise<LatestCommit | undefined> {
  try {
    return await client.getLatestCommit(did, req)
  } catch (err) {
    if (err instanceof FetchFailure && err.kind === 'invalid') return undefined
    throw err
  }
}

/** Records held back whole (the test seam), then handed to a session. */
class HeldRecords implements RecordSink {
  private parts: Array<{ rev: string } | RepoRecord[]> = []

  begin(rev: string): void {
    this.parts.push({ rev })
  }

  add(records: RepoRecord[]): void {
    this.parts.push(records)
  }

  async replay(sink: RecordSink): Promise<void> {
    for (const part of this.parts) {
      if (Array.isArray(part)) await sink.add(part)
      else sink.begin(part.rev)
    }
  }
}

export function failureResult(err: unknown): JobResult {
  if (err instanceof FetchFailure && err.kind === 'unavailable')
    return { kind: 'unavailable', error: err.message }
  return { kind: 'retry', error: message(err).slice(0, 1000) }
}
