import type { Bus, Db, Database, ServiceAuthVerifier } from '@sundial/common'
import type { IdResolver } from '@atproto/identity'
import type { SchedulerConfig } from './config.ts'
import type { Confirmer } from './confirm/confirmer.ts'
import type { PgListener } from './db/listener.ts'
import type { Logger } from './logger.ts'
import type { SchedulerMetrics } from './metrics.ts'
import type { SecretBox } from './outbound/encryption.ts'
import type { OAuthFlow } from './outbound/oauth.ts'
import type { OutboundAuth } from './outbound/outbound-auth.ts'
import type { Publisher } from './publisher/publisher.ts'
import type { BackgroundQueue } from './queue.ts'
import type { TidGenerator } from './records/tid.ts'
import type { WebhookSender } from './webhook/webhook-sender.ts'

export interface AppContextOptions {
  cfg: SchedulerConfig
  database: Database
  bus: Bus
  log: Logger
  metrics: SchedulerMetrics
  box: SecretBox
  tids: TidGenerator
  authVerifier: ServiceAuthVerifier
  idResolver: IdResolver
  outbound: OutboundAuth
  oauth: OAuthFlow | undefined
  listener: PgListener
  publisher: Publisher
  confirmer: Confirmer
  webhooks: WebhookSender | undefined
  background: BackgroundQueue
  instanceId: string
  /** fetch with the PDS request timeout applied. */
  fetch: typeof globalThis.fetch
}

/** Everything a handler or background job needs, built once in index.ts and passed explicitly. */
export class AppContext {
  constructor(private readonly opts: AppContextOptions) {}

  get cfg(): SchedulerConfig {
    return this.opts.cfg
  }
  get db(): Db {
    return this.opts.database.db
  }
  get database(): Database {
    return this.opts.database
  }
  get bus(): Bus {
    return this.opts.bus
  }
  get log(): Logger {
    return this.opts.log
  }
  get metrics(): SchedulerMetrics {
    return this.opts.metrics
  }
  get box(): SecretBox {
    return this.opts.box
  }
  get tids(): TidGenerator {
    return this.opts.tids
  }
  get authVerifier(): ServiceAuthVerifier {
    return this.opts.authVerifier
  }
  get idResolver(): IdResolver {
    return this.opts.idResolver
  }
  get outbound(): OutboundAuth {
    return this.opts.outbound
  }
  get oauth(): OAuthFlow | undefined {
    return this.opts.oauth
  }
  get listener(): PgListener {
    return this.opts.listener
  }
  get publisher(): Publisher {
    return this.opts.publisher
  }
  get confirmer(): Confirmer {
    return this.opts.confirmer
  }
  get webhooks(): WebhookSender | undefined {
    return this.opts.webhooks
  }
  get background(): BackgroundQueue {
    return this.opts.background
  }
  get instanceId(): string {
    return this.opts.instanceId
  }
  get fetch(): typeof globalThis.fetch {
    return this.opts.fetch
  }
}
