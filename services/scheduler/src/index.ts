import { randomBytes } from 'node:crypto'
import type http from 'node:http'
import os from 'node:os'
import express from 'express'
import type { Registry } from 'prom-client'
import {
  ServiceAuthVerifier,
  createBus,
  createMetricsRegistry,
  migrateToLatest,
  openDatabase,
} from '@sundial/common'
import type { Bus, Database } from '@sundial/common'
import { createXrpcServer } from './api/index.ts'
import type { SchedulerConfig } from './config.ts'
import { Confirmer } from './confirm/confirmer.ts'
import { AppContext } from './context.ts'
import { countByStatus } from './db/drafts.ts'
import { PgListener } from './db/listener.ts'
import { createSchedulerLogger } from './logger.ts'
import type { Logger } from './logger.ts'
import { createSchedulerMetrics } from './metrics.ts'
import { SecretBox, loadEncryptionKey } from './outbound/encryption.ts'
import { OAuthFlow } from './outbound/oauth.ts'
import { OutboundAuth } from './outbound/outbound-auth.ts'
import { Publisher } from './publisher/publisher.ts'
import { BackgroundQueue } from './queue.ts'
import { TidGenerator } from './records/tid.ts'
import { alfBlobRoutes } from './routes/alf-blob.ts'
import { healthRoutes } from './routes/health.ts'
import { oauthRoutes } from './routes/oauth.ts'
import { triggerRoutes } from './routes/triggers.ts'
import { StatsReporter } from './stats.ts'
import { WebhookSender } from './webhook/webhook-sender.ts'

export type { SchedulerConfig } from './config.ts'
export { readConfig } from './config.ts'
export { isSchedulerPath } from './routes/paths.ts'

export interface SchedulerDeps {
  /** A shared database (the all-in-one process); otherwise one is opened from cfg.db and migrated. */
  database?: Database
  bus?: Bus
  registry?: Registry
  log?: Logger
}

/**
 * The scheduler: a proxy that turns atproto writes into drafts, a publisher that writes them to users' PDSes
 * exactly once at their time, and a Jetstream watcher that confirms each publish. `app` can be mounted by
 * the all-in-one process; `start()` listens on cfg.port unless told not to.
 */
export class SchedulerService {
  server: http.Server | undefined

  private constructor(
    readonly ctx: AppContext,
    readonly app: express.Express,
    private readonly stats: StatsReporter,
    private readonly ownsDatabase: boolean,
    private readonly ownsBus: boolean,
  ) {}

  static async create(cfg: SchedulerConfig, deps: SchedulerDeps = {}): Promise<SchedulerService> {
    const log = deps.log ?? createSchedulerLogger(cfg.logLevel)
    const database = deps.database ?? (await openDatabase(cfg.db, 'sundial-scheduler'))
    if (!deps.database) await migrateToLatest(database.db)
    const db = database.db
    const registry = deps.registry ?? createMetricsRegistry()
    const metrics = createSchedulerMetrics(registry, () => countByStatus(db))
    const box = SecretBox.fromKey(await loadEncryptionKey(cfg.encryptionKey, cfg.dataDir, log))
    const bus = deps.bus ?? createBus(cfg.redisUrl)
    const instanceId = cfg.instanceId ?? `${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`
    const timeoutFetch: typeof globalThis.fetch = (input, init) =>
      fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(cfg.publishTimeoutMs) })
    const authVerifier = new ServiceAuthVerifier({ serviceDid: cfg.serviceDid, plcUrl: cfg.plcUrl })
    const listener = new PgListener(database.pool, log)
    const background = new BackgroundQueue(log, { concurrency: 4 })
    let oauth: OAuthFlow | undefined
    try {
      oauth = await OAuthFlow.create({
        cfg,
        db,
        pool: database.pool,
        box,
        log,
        fetch: timeoutFetch,
        handleResolver: cfg.oauthHandleResolverUrl,
        privateKey: cfg.oauthPrivateKey,
      })
    } catch (err) {
      log.warn({ err }, 'OAuth disabled: PUBLIC_URL must be https (or a loopback URL for development)')
    }
    const outbound = new OutboundAuth({ db, box, log, fetch: timeoutFetch, persistQueue: background, oauth })
    const stats = new StatsReporter(bus, log)
    const confirmer = new Confirmer({
      db,
      cfg,
      log,
      metrics,
      listener,
      fetch: timeoutFetch,
      instanceId,
      events: { confirmed: (_row, ms) => stats.onConfirmed(ms) },
    })
    const tids = new TidGenerator()
    const publisher = new Publisher({
      db,
      cfg,
      log,
      metrics,
      outbound,
      tracker: confirmer,
      tids,
      listener,
      instanceId,
      fetch: timeoutFetch,
      events: {
        published: (_row, ms) => stats.onPublished(ms),
        failed: (row) => stats.onFailed(row.lastError ?? 'failed'),
      },
    })
    stats.attach({
      inFlight: () => publisher.inFlightCount,
      awaitingConfirmation: () => confirmer.awaitingCount,
      wantedDids: () => confirmer.wantedCount,
      draftCounts: () => countByStatus(db),
    })
    const webhooks = cfg.postPublishWebhookUrl
      ? new WebhookSender({ db, url: cfg.postPublishWebhookUrl, log, metrics, listener, fetch })
      : undefined
    const ctx = new AppContext({
      cfg,
      database,
      bus,
      log,
      metrics,
      box,
      tids,
      authVerifier,
      idResolver: authVerifier.idResolver,
      outbound,
      oauth,
      listener,
      publisher,
      confirmer,
      webhooks,
      background,
      instanceId,
      fetch: timeoutFetch,
    })
    const app = express()
    app.disable('x-powered-by')
    app.use(healthRoutes(ctx, registry))
    app.use(triggerRoutes(ctx))
    app.use(oauthRoutes(ctx))
    app.use(alfBlobRoutes(ctx))
    app.use(createXrpcServer(ctx).xrpc.router)
    return new SchedulerService(ctx, app, stats, !deps.database, !deps.bus)
  }

  /** Starts the background work (listener, confirmer, publisher, webhooks) and, by default, the HTTP server. */
  async start(opts: { listen?: boolean } = {}): Promise<http.Server | undefined> {
    const { ctx } = this
    await ctx.listener.start()
    await ctx.confirmer.start()
    await ctx.publisher.start()
    await ctx.webhooks?.start()
    // The dashboard shows the scheduler as soon as it runs, not only after its first publish.
    this.stats.touch()
    if (opts.listen === false) return undefined
    const server = this.app.listen(ctx.cfg.port)
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
    server.keepAliveTimeout = 90_000
    this.server = server
    ctx.log.info({ port: this.port, instanceId: ctx.instanceId }, 'scheduler listening')
    return server
  }

  get port(): number {
    const addr = this.server?.address()
    return typeof addr === 'object' && addr ? addr.port : this.ctx.cfg.port
  }

  /** Stops taking requests, lets writes under way finish, then releases every resource. */
  async destroy(): Promise<void> {
    const { ctx } = this
    if (this.server) {
      const server = this.server
      await new Promise<void>((resolve) => server.close(() => resolve()))
      this.server = undefined
    }
    await ctx.publisher.destroy()
    await ctx.webhooks?.destroy()
    await ctx.confirmer.destroy()
    await ctx.background.destroy()
    this.stats.destroy()
    await ctx.listener.close()
    if (this.ownsBus) await ctx.bus.close()
    if (this.ownsDatabase) await ctx.database.close()
  }
}
