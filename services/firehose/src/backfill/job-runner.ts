import type { Db } from '@sundial/common'
import type { FollowChange } from '../batch/writer.ts'
import type { ClaimedJob } from './jobs.ts'
import { doneRev } from './jobs.ts'
import type { BackfillMetrics } from './metrics.ts'
import { FetchFailure, PdsClient, message } from './pds-client.ts'
import type { LatestCommit, RequestOptions } from './pds-client.ts'
import { snapshotFromCar, snapshotFromListing } from './repo-snapshot.ts'
import type { RepoSnapshot } from './repo-snapshot.ts'
import type { RepoHome, RepoResolver } from './resolver.ts'
import type { RepoWriter } from './repo-writer.ts'

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

/** A repo fetched and ready to write. */
export interface FetchedRepo {
  kind: 'fetched'
  snapshot: RepoSnapshot
  fetchMs: number
}

/**
 * Fetches one account's repo from its PDS (`fetch`, the part that loads the PDS), then writes it (`write`).
 * Expected failures come back as results.
 */
export class JobRunner {
  constructor(private opts: JobRunnerOptions) {}

  async fetch(job: ClaimedJob, home: RepoHome, signal: AbortSignal): Promise<FetchedRepo | JobResult> {
    const { db, metrics, fetchTimeoutMs } = this.opts
    try {
      const req: RequestOptions = { timeoutMs: fetchTimeoutMs, signal }
      const client = new PdsClient(home.pds)
      const latest = await latestCommit(client, job.did, req)
      // Cheap path: the account was backfilled at exactly this revision, so nothing changed since.
      if (latest && latest.rev === (await doneRev(db, job.did))) return { kind: 'skipped', rev: latest.rev }
      const started = performance.now()
      const snapshot = await this.snapshot(client, job.did, home, latest, req)
      metrics.fetches.inc({ method: snapshot.method })
      return { kind: 'fetched', snapshot, fetchMs: Math.round(performance.now() - started) }
    } catch (err) {
      if (signal.aborted) throw err
      return failureResult(err)
    }
  }

  async write(
    job: ClaimedJob,
    home: RepoHome,
    fetched: FetchedRepo,
    signal: AbortSignal,
  ): Promise<JobResult> {
    const { snapshot } = fetched
    try {
      await this.opts.beforeWrite?.(job.did, snapshot.rev)
      const started = performance.now()
      const summary = await this.opts.writer.write(job.did, home.pds, snapshot, signal)
      if (home.handle) await this.fillHandle(job.did, home.handle)
      return {
        kind: 'done',
        rev: snapshot.rev,
        records: summary.written + summary.deleted,
        method: snapshot.method,
        localFollows: summary.localFollows,
        fetchMs: fetched.fetchMs,
        writeMs: Math.round(performance.now() - started),
      }
    } catch (err) {
      if (signal.aborted) throw err
      return failureResult(err)
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

  /** The repo as one verified CAR; page by page with listRecords when that fails. */
  private async snapshot(
    client: PdsClient,
    did: string,
    home: RepoHome,
    latest: LatestCommit | undefined,
    req: RequestOptions,
  ): Promise<RepoSnapshot> {
    let carFailure: FetchFailure
    try {
      const car = await client.getRepo(did, this.opts.maxCarBytes, req)
      return await snapshotFromCar(did, car, {
        signingKey: home.signingKey,
        // The signing key may have rotated since the DID document was cached.
        refresh: async () => (await this.opts.resolver.resolve(did, true)).signingKey,
      })
    } catch (err) {
      if (req.signal.aborted || !(err instanceof FetchFailure) || err.kind === 'unavailable') throw err
      carFailure = err
    }
    // A listing has no revision of its own: it needs the one read before it.
    if (!latest) throw carFailure
    return snapshotFromListing(client, did, latest.rev, req)
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

export function failureResult(err: unknown): JobResult {
  if (err instanceof FetchFailure && err.kind === 'unavailable')
    return { kind: 'unavailable', error: err.message }
  return { kind: 'retry', error: message(err).slice(0, 1000) }
}
