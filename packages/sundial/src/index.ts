import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import {
  createBus,
  createLogger,
  createMetricsRegistry,
  migrateToLatest,
  openDatabase,
} from '@sundial/common'
import type { Bus, Database, Logger } from '@sundial/common'
import { AppView } from '@sundial/appview'
import { FirehoseService } from '@sundial/firehose'
import { isSchedulerPath, SchedulerService } from '@sundial/scheduler'
import type { Registry } from 'prom-client'
import type { SundialConfig } from './config.ts'

export type { SundialConfig } from './config.ts'
export { readConfig } from './config.ts'

/**
 * Firehose, AppView and scheduler in one process on one port (the `npm start` default). The scheduler answers
 * its paths (com.atproto.repo writes, dev.sundial.scheduler.*, OAuth, triggers), the AppView everything else
 * (health and metrics included: the registry is shared); the firehose only contributes background work.
 */
export class Sundial {
  private server: http.Server | undefined

  private constructor(
    readonly cfg: SundialConfig,
    readonly app: express.Express,
    readonly firehose: FirehoseService,
    readonly appview: AppView,
    readonly scheduler: SchedulerService,
    private database: Database,
    private bus: Bus,
    readonly registry: Registry,
    private logger: Logger,
  ) {}

  static async create(cfg: SundialConfig): Promise<Sundial> {
    const logger = createLogger({ name: 'sundial', level: cfg.appview.logLevel })
    const database = await openDatabase(cfg.db, 'sundial')
    try {
      const { applied } = await migrateToLatest(database.db)
      if (applied.length > 0) logger.info({ applied }, 'migrations applied')
    } catch (err) {
      await database.close()
      throw err
    }
    const bus = createBus(cfg.firehose.redisUrl)
    const registry = createMetricsRegistry()
    const firehose = await FirehoseService.create(cfg.firehose, {
      database,
      bus,
      registry,
      logger: logger.child({ component: 'firehose' }),
      serveHttp: false,
    })
    const scheduler = await SchedulerService.create(cfg.scheduler, {
      database,
      bus,
      registry,
      log: logger.child({ component: 'scheduler' }),
    })
    const appview = await AppView.create(cfg.appview, {
      database,
      bus,
      registry,
      logger: logger.child({ component: 'appview' }),
    })
    const app = express()
    app.disable('x-powered-by')
    // Each service's XRPC router answers unknown methods itself (501), so requests are split by path.
    app.use((req, res, next) => (isSchedulerPath(req.path) ? scheduler.app : appview.app)(req, res, next))
    return new Sundial(cfg, app, firehose, appview, scheduler, database, bus, registry, logger)
  }

  async start(): Promise<void> {
    await this.firehose.start()
    await this.scheduler.start({ listen: false })
    const server = this.app.listen(this.cfg.port)
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
    this.logger.info({ port: this.port, did: this.cfg.appview.serviceDid }, 'sundial listening')
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.cfg.port
  }

  /** Stops taking requests, drains the scheduler and the firehose (storing its cursor), then closes shared resources. */
  async destroy(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
    }
    await this.scheduler.destroy()
    await this.firehose.destroy()
    await this.appview.destroy()
    await this.bus.close()
    await this.database.close()
  }
}
