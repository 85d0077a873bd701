import { runDemo } from './demo.ts'

const once = process.argv.includes('--once')
const { summary, stop } = await runDemo({
  port: Number(process.env.PORT ?? 2584),
  dataDir: process.env.DATA_DIR ?? './data/demo',
  once,
  log: (line) => console.log(line),
})
if (once) {
  await stop()
  console.log(JSON.stringify(summary))
} else {
  console.log('\nPress Ctrl-C to stop.')
  const shutdown = async () => {
    await stop()
    process.exit(0)
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}
