import type { Bus, Db } from '@sundial/common'
import type { Registry } from 'prom-client'
import type { FirehoseConfig } from './config.ts'
import type { Logger } from './logger.ts'
import type { FirehoseMetrics } from './metrics.ts'

/** Everything the firehose's parts share, built once by FirehoseService.create and passed down. */
export class AppContext {
  constructor(
    readonly cfg: FirehoseConfig,
    readonly db: Db,
    readonly logger: Logger,
    readonly registry: Registry,
    readonly metrics: FirehoseMetrics,
    readonly bus: Bus,
  ) {}
}
