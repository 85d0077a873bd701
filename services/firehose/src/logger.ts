import { createLogger } from '@sundial/common'
import type { Logger } from '@sundial/common'

export type { Logger }

export function createFirehoseLogger(level: string): Logger {
  return createLogger({ name: 'firehose', level })
}
