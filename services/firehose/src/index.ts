import type { Server } from 'node:http'
import express from 'express'
import { createBus, createMetricsRegistry, migrateToLatest, openDatabase } from '@sundial/common'
import type { Bus, Database } from '@sundial/common'
import type { Registry } from 'prom-client'
import { Backfill } from './backfill/index.ts'
import type { FirehoseConfig } from './config.ts'
import { AppContext } from './context.ts'
import { Firehose } from './firehose.ts'
import { createFirehoseLogger } from './logger.ts'
import type { Logger } from './logger.ts'
import { FirehoseMetrics } from './metrics.ts'

export type { FirehoseConfig } from './config.ts'
export { readConfig } from './config.ts'
export { CHANNELS } from './firehose.ts'
export { STATS_KEY } from './stats.ts'
export { BACKFILL_STATS_KEY, Backfill, readBackfillConfig } from './backfill/index.ts'
export type { BackfillConfig, BackfillOptions } from './backfill/index.ts'

/** What the all-in-one process shares with this service; anything absent is created (and later closed) here. */
export interface FirehoseDeps {
  database?: Database
  bus?: Bus
  registry?: Registry
  logger?: Logger
  /** Listen on `cfg.port` in start(); false when the app is mounted elsewhere. Default true. */
  serveHttp?: boolean
}

export class FirehoseService {
  private server: Server | undefined

  private constructor(
    readonly ctx: AppContext,
    readonly app: express.Express,
    private firehose: Firehose,
    readonly backfill: Backfill | undefined,
    private owned: { database?: Database; bus?: Bus },
    private serveHttp: boolean,
  ) {}

  static async create(cfg: FirehoseConfig, deps: FirehoseDeps = {}): Promise<FirehoseService> {
    const logger = deps.logger ?? createFirehoseLogger(cfg.logLevel)
    const database = deps.database ?? (await openDatabase(cfg.db, 'sundial-firehose'))
    // A connection that dies while checked out (Postgres restarting mid-transaction) emits 'error' on its client;
    // unheard, that crashes the process. The query in flight fails too, and the writer retries the batch.
    database.pool.on('connect', (client) => {
      client.on('error', (err) => logger.warn({ err }, 'postgres connection lost'))
    })
    if (!deps.database) await migrateToLatest(database.db)
    const registry = deps.registry ?? createMetricsRegistry()
    const bus = deps.bus ?? createBus(cfg.redisUrl)
    const ctx = new AppContext(cfg, database.db, logger, registry, new FirehoseMetrics(registry), bus)
    const firehose = new Firehose(ctx)
    const backfill = cfg.backfill
      ? new Backfill({
          cfg: cfg.backfill,
          database,
          bus,
          registry,
          logger,
          maxRecordBytes: cfg.maxRecordBytes,
          indexScope: cfg.indexScope,
          scopeRefreshMs: cfg.scopeRefreshMs,
          statsMs: cfg.statsMs,
        })
      : undefined
    const app = express()
    app.get('/xrpc/_health', async (_req, res) => {
      const body = {
        service: 'firehose',
        connected: firehose.isConnected,
        cursor: firehose.cursor ?? null,
        lagSeconds:
          firehose.cursor === undefined ? null : Math.max(0, Date.now() / 1000 - firehose.cursor / 1e6),
        queueDepth: firehose.queueDepth,
      }
      try {
        await database.db.selectFrom('cursor').select('name').limit(1).execute()
      } catch {
        res.status(503).json({ ...body, error: 'database unreachable' })
        return
      }
      if (firehose.failed) {
        res.status(503).json({ ...body, error: 'writer stopped' })
        return
      }
      res.json(body)
    })
    app.get('/metrics', async (_req, res) => {
      res.set('content-type', registry.contentType).send(await registry.metrics())
    })
    const owned = { database: deps.database ? undefined : database, bus: deps.bus ? undefined : bus }
    return new FirehoseService(ctx, app, firehose, backfill, owned, deps.serveHttp ?? true)
  }

  /** The port actually listened on (when `cfg.port` is 0), if serving HTTP. */
  get port(): number | undefined {
    const address = this.server?.address()
    return typeof address === 'object' && address ? address.port : undefined
  }

  get cursor(): number | undefined {
    return this.firehose.cursor
  }

  /** Events received and not yet committed. */
  get queueDepth(): number {
    return this.firehose.queueDepth
  }

  async start(): Promise<void> {
    // Before the firehose moves the cursor: backfill's gap check reads the one the last run left.
    await this.backfill?.start()
    await this.firehose.start()
    if (this.serveHttp) {
      const server = this.app.listen(this.ctx.cfg.port)
      this.server = server
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve)
        server.once('error', reject)
      })
      this.ctx.logger.info({ port: this.port }, 'firehose http listening')
    }
  }

  /** Stops reading, commits what was received, and releases what this service opened. */
  async destroy(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
    }
    await this.backfill?.stop()
    await this.firehose.stop()
    await this.owned.bus?.close()
    await this.owned.database?.close()
  }
}
