import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { JetstreamServer } from './server.ts'

const USAGE = `Usage: npm run jetstream:dev -- [options]
  --port N             listen port (default 6008; 0 picks a free one)
  --host H             listen address (default 127.0.0.1)
  --pds URL            relay a PDS's com.atproto.sync.subscribeRepos (repeatable)
  --synthetic N        serve N synthetic events
  --rate R             play the synthetic events live at R events/s (default: load them all for replay)
  --seed S             synthetic stream seed (default 1)
  --malformed-every K  salt the synthetic stream with a malformed frame after every K events`

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative integer`)
  return parsed
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      pds: { type: 'string', multiple: true },
      synthetic: { type: 'string' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      'malformed-every': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  if (values.rate !== undefined && values.pds?.length) {
    // Paced synthetic events carry their own time_us, which would collide with the clock-assigned PDS ones.
    throw new Error('--rate cannot be combined with --pds')
  }
  const logger = pino({ name: 'jetstream-server' })
  const server = await JetstreamServer.create({
    port: integer(values.port, 'port', 6008),
    host: values.host ?? '127.0.0.1',
    logger,
  })
  logger.info({ subscribeUrl: server.subscribeUrl }, 'jetstream server listening')

  const stop = new AbortController()
  const shutdown = () => {
    stop.abort()
    server.close().then(
      () => logger.info('jetstream server stopped'),
      (err: unknown) => logger.error({ err }, 'error while stopping'),
    )
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)

  for (const pdsUrl of values.pds ?? []) {
    await server.attachPds(pdsUrl)
    logger.info({ pdsUrl }, 'relaying PDS')
  }

  const count = integer(values.synthetic, 'synthetic', 0)
  if (count > 0) {
    const rate = integer(values.rate, 'rate', 0)
    const synthetic = {
      seed: integer(values.seed, 'seed', 1),
      count,
      malformedEvery: integer(values['malformed-every'], 'malformed-every', 0),
    }
    if (rate > 0) {
      const startTimeUs = Date.now() * 1000
      const summary = await server.playSynthetic({
        ...synthetic,
        startTimeUs,
        eventsPerSecond: rate,
        batchSize: Math.max(1, Math.min(1_000, Math.ceil(rate / 20))),
        signal: stop.signal,
      })
      logger.info(summary, 'synthetic stream played')
    } else {
      const summary = server.loadSynthetic(synthetic)
      logger.info({ ...summary, replayWith: `cursor=${summary.firstTimeUs}` }, 'synthetic stream loaded')
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  console.error(USAGE)
  process.exitCode = 1
})
