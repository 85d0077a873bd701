/** The slice of a pino logger the server uses; the default discards everything. */
export interface Logger {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
}

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
}
