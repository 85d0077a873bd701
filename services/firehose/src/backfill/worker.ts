import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import os from 'node:os'
import PQueue from 'p-queue'
import type pg from 'pg'
import { BACKFILL_CHANNEL, enqueueBackfills, markTimelinesComplete } from '@sundial/common'
import type { Db } from '@sundial/common'
import type { Logger } from '../logger.ts'
import type { BackfillConfig } from './config.ts'
import type { JobResult, JobRunner } from './job-runner.ts'
import { failureResult } from './job-runner.ts'
import {
  claimJobs,
  finishJob,
  followsToBackfill,
  holdCompletionLock,
  isLocalUser,
  nextWakeAt,
  reclaimExpiredLeases,
  releaseJobs,
  renewLeases,
  retryJob,
  setJobHost,
} from './jobs.ts'
import type { ClaimedJob } from './jobs.ts'
import type { BackfillMetrics } from './metrics.ts'
import type { RepoResolver } from './resolver.ts'

export interface BackfillWorkerOptions {
  cfg: BackfillConfig
  db: Db
  /** For the LISTEN connection that wakes the worker when jobs are queued. */
  pool: pg.Pool
  runner: JobRunner
  resolver: RepoResolver
  metrics: BackfillMetrics
  logger: Logger
  /** Onboarding re-checks every followed account (not only never-backfilled ones): the `local` index scope. */
  recheckAllFollows: boolean
  /**
   * A job is not started until it is this old. In the `local` index scope the live firehose only indexes
   * accounts it knows local users follow, and learns of follows and users that did not come through the stream
   * at its next scope refresh: fetching earlier would leave the events in between to nobody.
   */
  minJobAgeMs: number
}

const LISTEN_RETRY_MS = 2000
const DISPATCH_RETRY_MS = 2000
/** Longest sleep between looks at the queue when nothing is due (a lost wake-up costs at most this). */
const MAX_SLEEP_MS = 5 * 60_000

/**
 * Runs backfill jobs from the Postgres queue. Claims (FOR UPDATE SKIP LOCKED, with a lease it keeps renewing)
 * only as many as it has room for, overall and per PDS host; each job runs in the global p-queue, and reads its
 * PDS in that host's p-queue. Woken by NOTIFY when jobs are queued, by its own jobs finishing or leaving their
 * host, and by a timer set to the next due retry or lease expiry — never by polling.
 */
export class BackfillWorker {
  readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
  private queue: PQueue
  private hostQueues = new Map<string, PQueue>()
  /** Jobs reading (or waiting to read) each host's PDS. */
  private hostLoad = new Map<string, number>()
  private inFlight = new Map<string, ClaimedJob>()
  private abort = new AbortController()
  private stopped = true
  private dispatching: Promise<void> | undefined
  private dispatchAgain = false
  private wakeTimer: NodeJS.Timeout | undefined
  private leaseTimer: NodeJS.Timeout | undefined
  private listener: { client: pg.PoolClient; release(err?: Error): void } | undefined
  private listenRetry: NodeJS.Timeout | undefined

  constructor(private opts: BackfillWorkerOptions) {
    this.queue = new PQueue({ concurrency: opts.cfg.concurrency })
  }

  /** Jobs of this worker reading (or waiting to read) a PDS, per host. */
  get perHost(): ReadonlyMap<string, number> {
    return this.hostLoad
  }

  get inFlightCount(): number {
    return this.inFlight.size
  }

  async start(): Promise<void> {
    this.stopped = false
    await this.listen()
    const renewEvery = (this.opts.cfg.leaseSeconds * 1000) / 3
    this.leaseTimer = setInterval(() => void this.renew(), renewEvery)
    this.wake()
  }

  /** Look at the queue now (coalesced with a look already under way). */
  wake(): void {
    if (this.stopped) return
    if (this.dispatching) {
      this.dispatchAgain = true
      return
    }
    this.dispatching = this.dispatch().finally(() => (this.dispatching = undefined))
  }

  /**
   * Stops claiming, interrupts jobs in flight and hands them back to the queue (due at once, attempt not
   * spent), so a restart picks them up immediately.
   */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.wakeTimer)
    clearInterval(this.leaseTimer)
    clearTimeout(this.listenRetry)
    this.abort.abort()
    await this.dispatching
    await this.queue.onIdle()
    await this.unlisten()
  }

  private async dispatch(): Promise<void> {
    const { db, cfg, logger } = this.opts
    clearTimeout(this.wakeTimer)
    try {
      do {
        this.dispatchAgain = false
        const reclaimed = await reclaimExpiredLeases(db)
        if (reclaimed > 0)
          logger.warn({ reclaimed }, 'backfill jobs with expired leases returned to the queue')
        const room = cfg.concurrency - this.inFlight.size
        if (room <= 0 || this.stopped) break
        const full = [...this.hostLoad].filter(([, n]) => n >= cfg.concurrencyPerHost).map(([host]) => host)
        const jobs = await claimJobs(db, this.owner, room, cfg.leaseSeconds, full, this.opts.minJobAgeMs)
        for (const job of jobs) this.launch(job)
        // A full claim may have left more due jobs behind.
        if (jobs.length === room) this.dispatchAgain = true
      } while (this.dispatchAgain && !this.stopped)
      await this.scheduleWake()
    } catch (err) {
      if (this.stopped) return
      logger.warn({ err }, 'backfill dispatch failed; retrying')
      this.wakeTimer = setTimeout(() => this.wake(), DISPATCH_RETRY_MS)
    }
  }

  private async scheduleWake(): Promise<void> {
    // With no room, the next job to finish wakes the worker.
    if (this.stopped || this.inFlight.size >= this.opts.cfg.concurrency) return
    const at = await nextWakeAt(this.opts.db, this.owner, this.opts.minJobAgeMs)
    const delay = at ? Math.min(MAX_SLEEP_MS, Math.max(50, at.getTime() - Date.now())) : MAX_SLEEP_MS
    clearTimeout(this.wakeTimer)
    this.wakeTimer = setTimeout(() => this.wake(), delay)
  }

  private launch(job: ClaimedJob): void {
    this.inFlight.set(job.id, job)
    this.opts.metrics.inFlight.set(this.inFlight.size)
    void this.queue
      .add(() => this.process(job))
      .catch((err) => this.opts.logger.error({ err, did: job.did }, 'backfill job crashed'))
      .finally(() => {
        this.inFlight.delete(job.id)
        this.opts.metrics.inFlight.set(this.inFlight.size)
        this.wake()
      })
  }

  private async process(job: ClaimedJob): Promise<void> {
    const { metrics, resolver, runner, db, logger } = this.opts
    // One signal per job, so the requests and queue entries of a job hang off it and not off the worker's.
    const jobAbort = new AbortController()
    setMaxListeners(0, jobAbort.signal)
    const stop = () => jobAbort.abort()
    this.abort.signal.addEventListener('abort', stop, { once: true })
    const signal = jobAbort.signal
    const started = performance.now()
    let host: string | undefined
    let result: JobResult
    try {
      const home = await resolver.resolve(job.did)
      host = home.host
      if (job.pdsHost !== host) await setJobHost(db, job.id, host)
      // The host's slot is held while its PDS is read, not while the rest of the repo is written: writing does
      // not load it.
      this.addHostLoad(host, 1)
      let release: (() => void) | undefined
      let left = false
      const leaveHost = () => {
        if (left) return
        left = true
        release?.()
        this.addHostLoad(host!, -1)
        // The host has room again: another of its jobs may be claimed.
        this.wake()
      }
      try {
        release = await holdSlot(this.hostQueue(host), signal)
        result = await runner.run(job, home, signal, leaveHost)
      } finally {
        leaveHost()
      }
    } catch (err) {
      if (signal.aborted) {
        await releaseJobs(db, this.owner, [job.id]).catch((e) =>
          logger.warn({ err: e }, 'could not release job'),
        )
        return
      }
      result = failureResult(err)
    } finally {
      this.abort.signal.removeEventListener('abort', stop)
    }
    metrics.jobSeconds.observe((performance.now() - started) / 1000)
    await this.settle(job, result)
  }

  /** Records how an attempt ended; a finished local user's follows are queued before completeness is decided. */
  private async settle(job: ClaimedJob, result: JobResult): Promise<void> {
    const { db, cfg, metrics, logger } = this.opts
    if (result.kind === 'retry') {
      if (job.attempts < cfg.maxAttempts) {
        const delayMs = backoffMs(job.attempts, cfg.retryBaseMs, cfg.retryMaxMs)
        metrics.failures.inc({ kind: 'retry' })
        logger.warn(
          { did: job.did, attempt: job.attempts, delayMs, error: result.error },
          'backfill attempt failed',
        )
        await retryJob(db, job, this.owner, delayMs, result.error)
        return
      }
      metrics.failures.inc({ kind: 'final' })
    }
    const state = result.kind === 'retry' ? 'failed' : 'done'
    const finished = await db.transaction().execute(async (tx) => {
      // First, so finishing transactions run one after another and never wait on each other's rows.
      await holdCompletionLock(tx)
      const held = await finishJob(tx, job, this.owner, {
        state,
        rev: result.kind === 'done' || result.kind === 'skipped' ? result.rev : null,
        records: result.kind === 'done' ? result.records : 0,
        error: result.kind === 'unavailable' || result.kind === 'retry' ? result.error : null,
      })
      if (!held) return false
      if (result.kind !== 'retry' && (await isLocalUser(tx, job.did))) {
        const subjects = new Set(await followsToBackfill(tx, job.did, this.opts.recheckAllFollows))
        if (result.kind === 'done') for (const f of result.localFollows) subjects.add(f.subjectDid)
        subjects.delete(job.did)
        await enqueueBackfills(tx, [...subjects], 'follow', { follower: job.did })
      }
      await markTimelinesComplete(tx, job.did)
      return true
    })
    if (!finished) {
      logger.warn(
        { did: job.did },
        'backfill job lease was lost before it finished; its new holder finishes it',
      )
      return
    }
    const outcome = result.kind === 'retry' ? 'failed' : result.kind
    metrics.finished.inc({ outcome })
    const log = { did: job.did, reason: job.reason, attempt: job.attempts, outcome }
    if (result.kind === 'done') {
      const { records, method, fetchMs, writeMs } = result
      logger.info({ ...log, records, method, fetchMs, writeMs }, 'backfilled')
    } else if (result.kind === 'retry') logger.error({ ...log, error: result.error }, 'backfill gave up')
    else logger.debug(log, 'backfill finished')
  }

  private hostQueue(host: string): PQueue {
    let queue = this.hostQueues.get(host)
    if (!queue) {
      queue = new PQueue({ concurrency: this.opts.cfg.concurrencyPerHost })
      this.hostQueues.set(host, queue)
    }
    return queue
  }

  private addHostLoad(host: string, delta: number): void {
    const n = (this.hostLoad.get(host) ?? 0) + delta
    if (n > 0) {
      this.hostLoad.set(host, n)
      this.opts.metrics.hostInFlight.set({ host }, n)
    } else {
      // Hosts come and go: forget one as soon as nothing of it is left.
      this.hostLoad.delete(host)
      this.hostQueues.delete(host)
      this.opts.metrics.hostInFlight.remove({ host })
    }
  }

  private async renew(): Promise<void> {
    try {
      await renewLeases(this.opts.db, this.owner, [...this.inFlight.keys()], this.opts.cfg.leaseSeconds)
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not renew backfill leases')
    }
  }

  private async listen(): Promise<void> {
    let client: pg.PoolClient
    try {
      client = await this.opts.pool.connect()
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not listen for backfill jobs; retrying')
      this.retryListen()
      return
    }
    let released = false
    const onNotification = () => this.wake()
    // Every way out releases the connection exactly once and detaches from it, so a later error on the
    // (by then pooled or closed) connection is no longer ours.
    const release = (err?: Error) => {
      if (released) return
      released = true
      client.off('notification', onNotification)
      client.off('error', onError)
      if (this.listener?.client === client) this.listener = undefined
      client.release(err ?? undefined)
    }
    const onError = (err: Error) => {
      this.opts.logger.warn({ err }, 'backfill listen connection lost')
      release(err)
      this.retryListen()
    }
    client.on('notification', onNotification)
    client.on('error', onError)
    try {
      await client.query(`listen ${BACKFILL_CHANNEL}`)
      this.listener = { client, release }
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not listen for backfill jobs; retrying')
      release(err as Error)
      this.retryListen()
    }
  }

  private retryListen(): void {
    if (this.stopped) return
    clearTimeout(this.listenRetry)
    this.listenRetry = setTimeout(() => {
      // Notifications sent while deaf are lost: look at the queue once connected again.
      void this.listen().then(() => this.wake())
    }, LISTEN_RETRY_MS)
  }

  private async unlisten(): Promise<void> {
    const listener = this.listener
    if (!listener) return
    this.listener = undefined
    try {
      await listener.client.query(`unlisten ${BACKFILL_CHANNEL}`)
      listener.release()
    } catch (err) {
      listener.release(err as Error)
    }
  }
}

/** Waits for a slot of `queue` and holds it until the returned function is called. */
function holdSlot(queue: PQueue, signal: AbortSignal): Promise<() => void> {
  return new Promise((resolve, reject) => {
    queue.add(() => new Promise<void>((release) => resolve(release)), { signal }).catch(reject)
  })
}

/** base·2^(attempt−1), capped, with ±20% jitter so jobs failing together do not retry together. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(raw * (0.8 + Math.random() * 0.4))
}
