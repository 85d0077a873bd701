import { readConfig } from './config.ts'
import { SchedulerService } from './index.ts'

const cfg = readConfig(process.env)
const scheduler = await SchedulerService.create(cfg)
await scheduler.start()

let stopping = false
const stop = async (signal: string) => {
  if (stopping) return
  stopping = true
  scheduler.ctx.log.info({ signal }, 'scheduler stopping')
  await scheduler.destroy()
  process.exitCode = 0
}
process.on('SIGTERM', () => void stop('SIGTERM'))
process.on('SIGINT', () => void stop('SIGINT'))
