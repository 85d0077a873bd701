import type { Db, Logger } from '@sundial/common'
import * as q from '../data/queries.ts'
import type { ServiceStats } from '../data/service-stats.ts'
import type { BackfillSource, BackfillView } from '../data/backfill.ts'
import type { LiveSampler, Sample } from './sampler.ts'

/** A section either has its data or says why not (table absent, service not running): the page shows both. */
export type Section<T> = ({ available: true } & T) | { available: false; reason: string }

export interface LiveSnapshot {
  now: number
  sample: Sample | null
  ingest: {
    available: boolean
    connected: boolean | null
    paused: boolean | null
    queueDepth: number | null
    totalPerSec: number | null
    byCollection: Record<string, number>
  }
  scheduler: {
    available: boolean
    inFlight: number | null
    lastLatenessMs: number | null
    lastConfirmMs: number | null
    wantedDids: number | null
  }
  cursors: Section<{ rows: { name: string; timeUs: number; lagMs: number; updatedAt: string }[] }>
  backfill: Section<BackfillView>
  users: Section<{ summary: q.LocalUserSummary; rows: q.LocalUserRow[] }>
  drafts: Section<{
    counts: q.DraftCounts
    failed: q.DraftProblemRow[]
    unconfirmed: q.DraftProblemRow[]
    confirmLatency: q.LatencySummary
  }>
  errors: { at: number; source: string; message: string }[]
}

export interface SnapshotDeps {
  db: Db
  logger: Logger
  sampler: LiveSampler
  backfill: BackfillSource
}

const HOUR = 60 * 60 * 1000

/** Everything the page shows, read in parallel; a failing section is reported, not fatal. */
export async function buildSnapshot(deps: SnapshotDeps): Promise<LiveSnapshot> {
  const { db, sampler } = deps
  const now = Date.now()
  const stats: ServiceStats | undefined = sampler.latestStats()
  const sample = sampler.latest() ?? null

  const [cursors, backfill, users, drafts, draftErrors] = await Promise.all([
    section(deps, 'cursors', async () => {
      const rows = await q.readCursors(db)
      return {
        rows: rows.map((r) => ({
          name: r.name,
          timeUs: r.timeUs,
          lagMs: Math.max(0, now - Math.floor(r.timeUs / 1000)),
          updatedAt: r.updatedAt.toISOString(),
        })),
      }
    }),
    section(deps, 'backfill', () => deps.backfill.view(stats?.backfill)),
    section(deps, 'users', async () => {
      const [summary, rows] = await Promise.all([q.summariseLocalUsers(db), q.listLocalUsers(db, 25)])
      return { summary, rows }
    }),
    section(deps, 'drafts', async () => {
      const [counts, failed, unconfirmed, confirmLatency] = await Promise.all([
        q.countDrafts(db),
        q.listFailedDrafts(db, 50),
        q.listUnconfirmedDrafts(db, 50),
        q.confirmationLatency(db, HOUR),
      ])
      return { counts, failed, unconfirmed, confirmLatency }
    }),
    q.recentDraftErrors(db, HOUR, 20).catch(() => []),
  ])

  const errors: LiveSnapshot['errors'] = []
  for (const [source, note] of [
    ['firehose', stats?.firehose.lastError],
    ['scheduler', stats?.scheduler.lastError],
    ['backfill', stats?.backfill.lastError],
  ] as const) {
    if (note) errors.push({ at: note.at, source, message: note.message })
  }
  for (const e of draftErrors)
    errors.push({ at: e.at.getTime(), source: `draft ${e.draftId}`, message: e.message })
  if (backfill.available) {
    for (const f of backfill.recentFailures)
      errors.push({ at: f.at, source: `backfill ${f.did}`, message: f.error })
  }
  errors.sort((a, b) => b.at - a.at)

  const firehose = stats?.firehose
  return {
    now,
    sample,
    ingest: {
      available: Boolean(firehose?.available),
      connected: firehose?.connected ?? null,
      paused: firehose?.paused ?? null,
      queueDepth: firehose?.queueDepth ?? null,
      totalPerSec: firehose?.totalPerSec ?? null,
      byCollection: firehose?.ratesPerSec ?? {},
    },
    scheduler: {
      available: Boolean(stats?.scheduler.available),
      inFlight: stats?.scheduler.publishing ?? null,
      lastLatenessMs: stats?.scheduler.lastLatenessMs ?? null,
      lastConfirmMs: stats?.scheduler.lastConfirmMs ?? null,
      wantedDids: stats?.scheduler.wantedDids ?? null,
    },
    cursors,
    backfill,
    users,
    drafts,
    errors: errors.slice(0, 30),
  }
}

async function section<T>(deps: SnapshotDeps, name: string, read: () => Promise<T>): Promise<Section<T>> {
  try {
    return { available: true, ...(await read()) }
  } catch (err) {
    const reason = describe(err)
    deps.logger.debug({ err, section: name }, 'dashboard section unavailable')
    return { available: false, reason }
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: string }).code
  // 42P01: undefined_table, i.e. the migration for this part has not landed in this database.
  if (code === '42P01') return 'not set up in this database'
  return err instanceof Error ? err.message : String(err)
}
