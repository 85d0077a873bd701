import { createLogger } from '@sundial/common'
import type { Logger } from '@sundial/common'

export type { Logger }

export function createAppViewLogger(level: string): Logger {
  return createLogger({ name: 'appview', level })
}
