import { createLogger } from '@sundial/common'
import type { Logger } from '@sundial/common'

export type { Logger }

export function createSchedulerLogger(level = 'info'): Logger {
  return createLogger({ name: 'scheduler', level })
}
