// A scheduler process for crash tests: loads the service (seconds of module loading on a busy machine),
// says "ready", and on "go" on stdin starts exactly as bin.ts does. Pre-loading lets a test kill -9 one
// process and have the next one serving within a fraction of a second.
import { createInterface } from 'node:readline'
import { readConfig } from '../../services/scheduler/src/config.ts'
import { SchedulerService } from '../../services/scheduler/src/index.ts'

const lines = createInterface({ input: process.stdin })
process.stdout.write('ready\n')
let go = false
for await (const line of lines) {
  if (line.trim() === 'go') {
    go = true
    break
  }
}
// The test went away without starting us.
if (!go) process.exit(0)
const scheduler = await SchedulerService.create(readConfig(process.env))
await scheduler.start()
process.stdout.write('started\n')
const stop = async () => {
  await scheduler.destroy()
  process.exit(0)
}
process.on('SIGTERM', () => void stop())
