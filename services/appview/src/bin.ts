import { AppView } from './index.ts'
import { readConfig } from './config.ts'

const appView = await AppView.create(readConfig(process.env))
await appView.start()

let stopping = false
const stop = async (signal: string) => {
  if (stopping) return
  stopping = true
  appView.ctx.logger.info({ signal }, 'appview stopping')
  await appView.destroy()
}
process.once('SIGTERM', () => void stop('SIGTERM'))
process.once('SIGINT', () => void stop('SIGINT'))
