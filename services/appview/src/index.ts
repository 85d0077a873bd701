import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import { schemas as bskySchemas } from '@atproto/api'
import type { LexiconDoc } from '@atproto/lexicon'
import { XRPCError, createServer } from '@atproto/xrpc-server'
import type { Server as XrpcServer } from '@atproto/xrpc-server'
import {
  ServiceAuthVerifier,
  createBus,
  createMetricsRegistry,
  migrateToLatest,
  openDatabase,
} from '@sundial/common'
import type { Bus, Database, Db } from '@sundial/common'
import { createDashboardRouter } from '@sundial/dashboard'
import { schemas as sundialSchemas } from '@sundial/lexicon'
import express from 'express'
import { sql } from 'kysely'
import type { Registry } from 'prom-client'
import { registerMethods } from './api/index.ts'
import { AuthVerifier } from './auth.ts'
import { createPreparingDb } from './db/prepared.ts'
import { blobRedirectRouter } from './blob-redirect.ts'
import type { AppViewConfig } from './config.ts'
import type { AppContext } from './context.ts'
import { Hydrator } from './hydration/hydrator.ts'
import { LocalUsers } from './local-users.ts'
import { createAppViewLogger } from './logger.ts'
import type { Logger } from './logger.ts'
import { AppViewMetrics } from './metrics.ts'
import { ImageUrlBuilder } from './views/image-url.ts'
import { Views } from './views/index.ts'
import { wellKnownRouter } from './well-known.ts'

export type { AppViewConfig } from './config.ts'
export { readConfig } from './config.ts'
export type { AppContext } from './context.ts'

export interface AppViewDeps {
  /**
   * An open, migrated database (tests, the all-in-one process); otherwise one is opened from cfg.db and closed
   * by destroy. Its pool lets the hot reads run as prepared statements.
   */
  database?: Database
  /** Only a query handle: works the same, but every statement is parsed and planned on each call. */
  db?: Db
  /** Shared metrics registry; default a new one. */
  registry?: Registry
  /** Shared Bus (the dashboard reads other services' live numbers from it); default one from cfg.redisUrl. */
  bus?: Bus
  logger?: Logger
}

/** The AppView service: app.bsky reads and dev.sundial timeline reads over XRPC. */
export class AppView {
  private httpServer: http.Server | undefined

  private constructor(
    readonly ctx: AppContext,
    readonly app: express.Express,
    readonly xrpc: XrpcServer,
    readonly registry: Registry,
    private closeDb: () => Promise<void>,
  ) {}

  static async create(cfg: AppViewConfig, deps: AppViewDeps = {}): Promise<AppView> {
    const logger = deps.logger ?? createAppViewLogger(cfg.logLevel)
    const registry = deps.registry ?? createMetricsRegistry()
    const metrics = new AppViewMetrics(registry)
    let db: Db
    let closeDb = async () => {}
    if (deps.database) {
      db = createPreparingDb(deps.database.pool)
      metrics.observePool(deps.database.pool)
    } else if (deps.db) {
      db = deps.db
    } else {
      const database = await openDatabase(cfg.db, 'sundial-appview')
      await migrateToLatest(database.db)
      db = createPreparingDb(database.pool)
      metrics.observePool(database.pool)
      closeDb = () => database.close()
    }
    const serviceAuth = new ServiceAuthVerifier({ serviceDid: cfg.serviceDid, plcUrl: cfg.plcUrl })
    const localUsers = new LocalUsers(db, metrics)
    const ctx: AppContext = {
      cfg,
      db,
      logger,
      metrics,
      serviceAuth,
      authVerifier: new AuthVerifier(serviceAuth, localUsers),
      hydrator: new Hydrator(db),
      views: new Views(new ImageUrlBuilder({ pattern: cfg.imageUrlPattern, publicUrl: cfg.publicUrl })),
      localUsers,
    }

    const xrpc = createServer([...bskySchemas, ...sundialSchemas] as LexiconDoc[], {
      validateResponse: cfg.validateResponses,
      // The one place unexpected errors are logged; expected ones are already XRPC errors (4xx).
      errorParser: (err) => {
        const xrpcError = XRPCError.fromError(err)
        if (xrpcError.type >= 500) logger.error({ err }, 'xrpc handler failed')
        return xrpcError
      },
    })
    registerMethods(xrpc, ctx)

    const app = express()
    app.disable('x-powered-by')
    // XRPC parameters are flat (a repeated key is an array): Node's querystring parses them like qs does, cheaper.
    app.set('query parser', 'simple')
    app.use(cors)
    app.use(requestMetrics(metrics, xrpc))
    app.use(wellKnownRouter(cfg))
    app.get('/xrpc/_health', async (_req, res) => {
      try {
        await sql`select 1`.execute(db)
        res.json({ status: 'ok', service: 'appview', did: cfg.serviceDid })
      } catch {
        res.status(503).json({ status: 'unavailable', service: 'appview', error: 'database unreachable' })
      }
    })
    app.get('/metrics', async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics())
    })
    const bus = deps.bus ?? createBus(cfg.redisUrl)
    const dashboard = createDashboardRouter({
      db,
      bus,
      logger: logger.child({ component: 'dashboard' }),
      adminPassword: cfg.adminPassword,
      adminToken: cfg.adminToken,
    })
    app.use('/dashboard', dashboard)
    app.use(blobRedirectRouter(serviceAuth.idResolver, logger))
    app.use(xrpc.router)
    const close = async () => {
      await dashboard.destroy()
      if (!deps.bus) await bus.close()
      await closeDb()
    }
    return new AppView(ctx, app, xrpc, registry, close)
  }

  /** Listens on cfg.port (0 picks a free port); resolves once accepting connections. */
  async start(): Promise<void> {
    const server = this.app.listen(this.ctx.cfg.port)
    // nginx keeps idle upstream connections for 60 s (keepalive_timeout in nginx/templates): hold them longer,
    // so nginx never sends a request on a connection this side is closing (Node's default is 5 s).
    server.keepAliveTimeout = 65_000
    server.headersTimeout = 66_000
    this.httpServer = server
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
    this.ctx.logger.info({ port: this.port, did: this.ctx.cfg.serviceDid }, 'appview listening')
  }

  get port(): number {
    return (this.httpServer?.address() as AddressInfo | null)?.port ?? this.ctx.cfg.port
  }

  /** http://localhost:<port>, for tests and local clients. */
  get url(): string {
    return `http://localhost:${this.port}`
  }

  async destroy(): Promise<void> {
    const server = this.httpServer
    this.httpServer = undefined
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
    }
    await this.closeDb()
  }
}

/** Browsers call AppViews directly; reads are public or bearer-authenticated, never cookie-based. */
function cors(req: express.Request, res: express.Response, next: express.NextFunction): void {
  res.setHeader('Access-Control-Allow-Origin', '*')
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS')
    res.setHeader(
      'Access-Control-Allow-Headers',
      req.header('access-control-request-headers') ?? 'authorization, content-type',
    )
    res.setHeader('Access-Control-Max-Age', '86400')
    res.status(204).end()
    return
  }
  next()
}

/** Counts and times XRPC calls; paths that name no lexicon method share `other`, so label values stay bounded. */
function requestMetrics(metrics: AppViewMetrics, xrpc: XrpcServer) {
  return (req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (!req.path.startsWith('/xrpc/')) return next()
    const nsid = req.path.slice('/xrpc/'.length)
    const method = xrpc.lex.getDef(nsid) ? nsid : 'other'
    const stop = metrics.requestSeconds.startTimer({ method })
    res.once('finish', () => {
      stop()
      metrics.requests.inc({ method, status: String(res.statusCode) })
    })
    next()
  }
}
