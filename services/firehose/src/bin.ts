import { readConfig } from './config.ts'
import { FirehoseService } from './index.ts'

const service = await FirehoseService.create(readConfig(process.env))
await service.start()

let stopping = false
const shutdown = async (signal: string) => {
  if (stopping) return
  stopping = true
  service.ctx.logger.info({ signal }, 'firehose stopping')
  await service.destroy()
  service.ctx.logger.info('firehose stopped')
}
process.once('SIGTERM', () => void shutdown('SIGTERM'))
process.once('SIGINT', () => void shutdown('SIGINT'))
