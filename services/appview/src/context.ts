import type { Db, ServiceAuthVerifier } from '@sundial/common'
import type { AuthVerifier } from './auth.ts'
import type { AppViewConfig } from './config.ts'
import type { Hydrator } from './hydration/hydrator.ts'
import type { LocalUsers } from './local-users.ts'
import type { Logger } from './logger.ts'
import type { AppViewMetrics } from './metrics.ts'
import type { Views } from './views/index.ts'

/** Everything a handler may use, built once in AppView.create and passed explicitly. */
export interface AppContext {
  cfg: AppViewConfig
  db: Db
  logger: Logger
  metrics: AppViewMetrics
  serviceAuth: ServiceAuthVerifier
  authVerifier: AuthVerifier
  hydrator: Hydrator
  views: Views
  localUsers: LocalUsers
}
