import { pino } from 'pino'
import type { Logger } from 'pino'

export type { Logger }

export interface LoggerOptions {
  /** pino level; default `info`. */
  level?: string
  /** Component name added to every line. */
  name: string
}

/** Structured JSON logs on stdout, one logger per service, children per component. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino({ name: opts.name, level: opts.level ?? 'info', base: { service: opts.name } })
}
