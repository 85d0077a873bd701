import { sql } from 'kysely'
import type { ExpressionBuilder } from 'kysely'
import { enqueueBackfill } from '@sundial/common'
import type { DatabaseSchema, Db } from '@sundial/common'
import type { BackfillStats } from './service-stats.ts'

export interface BackfillHostRow {
  host: string
  queued: number
  inFlight: number
  failed: number
}

export interface BackfillFailure {
  id: string
  did: string
  host: string | null
  error: string
  attempts: number
  /** `failed`: gave up; `retrying`: pending again after an error. */
  state: 'failed' | 'retrying'
  at: number
}

export interface BackfillView {
  /** Where the numbers come from: the durable queue table, or only the worker's live stats. */
  source: 'table' | 'stats'
  depth: number | null
  inFlight: number | null
  failed: number | null
  byHost: BackfillHostRow[]
  recentFailures: BackfillFailure[]
}

export type RequeueOutcome = 'done' | 'not-found' | 'unsupported'

export interface BackfillSource {
  view(stats: BackfillStats | undefined): Promise<BackfillView>
  /** Pending and running jobs, for the charts; null when there is no queue table. */
  counts(): Promise<{ pending: number; running: number } | null>
  requeue(id: string): Promise<RequeueOutcome>
}

const UNDEFINED_TABLE = '42P01'

/**
 * The backfill queue (`backfill_job`) as the dashboard sees it. In a database without that table it falls back
 * to the live numbers a backfill worker publishes on the Bus, and re-queueing is unavailable.
 */
export function createBackfillSource(db: Db): BackfillSource {
  const withoutTable = async <T>(read: () => Promise<T>, fallback: () => T | Promise<T>): Promise<T> => {
    try {
      return await read()
    } catch (err) {
      if ((err as { code?: string }).code === UNDEFINED_TABLE) return fallback()
      throw err
    }
  }

  return {
    view: (stats) =>
      withoutTable(
        () => readQueue(db),
        () => {
          if (!stats?.available) throw new Error('no backfill queue in this database')
          return {
            source: 'stats' as const,
            depth: stats.depth,
            inFlight: stats.inFlight,
            failed: stats.failed,
            byHost: [],
            recentFailures: [],
          }
        },
      ),
    counts: () => withoutTable(() => countActive(db), () => null),
    requeue: (id) => withoutTable(() => requeueJob(db, id), () => 'unsupported' as const),
  }
}

async function countActive(db: Db): Promise<{ pending: number; running: number }> {
  const row = await db
    .selectFrom('backfillJob')
    .select([
      sql<string>`count(*) filter (where state = 'pending')`.as('pending'),
      sql<string>`count(*) filter (where state = 'running')`.as('running'),
    ])
    .where('state', 'in', ['pending', 'running'])
    .executeTakeFirstOrThrow()
  return { pending: Number(row.pending), running: Number(row.running) }
}

async function readQueue(db: Db): Promise<BackfillView> {
  // A failed row only counts while no newer job for the account is waiting or running.
  const stillFailed = sql<boolean>`not exists (
    select 1 from backfill_job a where a.did = backfill_job.did and a.state in ('pending', 'running'))`
  const active = (eb: ExpressionBuilder<DatabaseSchema, 'backfillJob'>) =>
    eb.or([eb('state', 'in', ['pending', 'running']), eb.and([eb('state', '=', 'failed'), stillFailed])])
  const [totals, byHost, failures] = await Promise.all([
    db
      .selectFrom('backfillJob')
      .select([
        sql<string>`count(*) filter (where state = 'pending')`.as('queued'),
        sql<string>`count(*) filter (where state = 'running')`.as('inFlight'),
        sql<string>`count(*) filter (where state = 'failed')`.as('failed'),
      ])
      .where(active)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('backfillJob')
      .select([
        sql<string>`coalesce(pds_host, '(not resolved yet)')`.as('host'),
        sql<string>`count(*) filter (where state = 'pending')`.as('queued'),
        sql<string>`count(*) filter (where state = 'running')`.as('inFlight'),
        sql<string>`count(*) filter (where state = 'failed')`.as('failed'),
      ])
      .where(active)
      .groupBy(sql`coalesce(pds_host, '(not resolved yet)')`)
      .orderBy(sql`count(*)`, 'desc')
      .limit(50)
      .execute(),
    db
      .selectFrom('backfillJob')
      .select(['id', 'did', 'pdsHost', 'lastError', 'attempts', 'state', 'updatedAt'])
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'failed'), stillFailed]),
          eb.and([eb('state', '=', 'pending'), eb('lastError', 'is not', null)]),
        ]),
      )
      .orderBy('updatedAt', 'desc')
      .limit(20)
      .execute(),
  ])
  return {
    source: 'table',
    depth: Number(totals.queued),
    inFlight: Number(totals.inFlight),
    failed: Number(totals.failed),
    byHost: byHost.map((h) => ({
      host: h.host,
      queued: Number(h.queued),
      inFlight: Number(h.inFlight),
      failed: Number(h.failed),
    })),
    recentFailures: failures.map((f) => ({
      id: String(f.id),
      did: f.did,
      host: f.pdsHost,
      error: f.lastError ?? 'no error recorded',
      attempts: f.attempts,
      state: f.state === 'failed' ? 'failed' : 'retrying',
      at: f.updatedAt.getTime(),
    })),
  }
}

/** Queues the job's account again (a `manual` backfill), through the same function every service uses. */
async function requeueJob(db: Db, id: string): Promise<RequeueOutcome> {
  if (!/^\d{1,18}$/.test(id)) return 'not-found'
  const job = await db.selectFrom('backfillJob').select('did').where('id', '=', id).executeTakeFirst()
  if (!job) return 'not-found'
  await enqueueBackfill(db, { did: job.did, reason: 'manual' })
  return 'done'
}
