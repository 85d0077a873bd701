import { readConfig, Sundial } from './index.ts'

const sundial = await Sundial.create(readConfig(process.env))
await sundial.start()

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await sundial.destroy()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
