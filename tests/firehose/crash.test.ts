import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { JetstreamServer, syntheticEvents } from '@sundial/jetstream-server'
import { expectedState } from './model.ts'
import { diffStates, readIndexedState } from './state.ts'
import { laneCursors, storedCursor, waitFor } from './helpers.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const BIN = path.join(ROOT, 'services/firehose/src/bin.ts')

/** A small deterministic generator, so a failing run can be repeated with the same kill moments. */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Run {
  child: ChildProcess
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  output: string[]
}

function startFirehose(env: Record<string, string>): Run {
  // node itself, not npx: SIGKILL must hit the process that holds the connection and the transaction.
  const child = spawn(process.execPath, ['--import', 'tsx', BIN], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString())
    if (output.length > 50) output.shift()
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return { child, exited, output }
}

// The firehose as a separate process, killed with SIGKILL at random moments while it works through a
// 60,000-event stream, and restarted each time (resuming from its stored cursor minus the rewind). In the end the
// tables hold exactly what applying the stream once gives: nothing lost, nothing doubled, every count right.
describe('firehose crash safety', () => {
  const options = { seed: 20261123, count: 60_000, actors: 3_000 }
  let server: JetstreamServer
  let database: TestDatabase

  beforeAll(async () => {
    server = await JetstreamServer.create()
    server.loadSynthetic(options)
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_crash')
  })

  afterAll(async () => {
    await server?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('survives kill -9 at random moments, more than ten times', { timeout: 240_000 }, async () => {
    const expected = expectedState(syntheticEvents(options))
    const env = {
      DATABASE_URL: database.url,
      JETSTREAM_URL: server.subscribeUrl,
      FIREHOSE_START_CURSOR: '1',
      FIREHOSE_REWIND_SECONDS: '2',
      FIREHOSE_BATCH_SIZE: '1000',
      FIREHOSE_QUEUE_MAX: '4000',
      PORT: '0',
      LOG_LEVEL: 'warn',
      BACKFILL_ENABLED: 'false',
    }
    const random = prng(options.seed)
    const kills = 12
    const span = expected.lastTimeUs - expected.firstTimeUs
    const killedAt: number[] = []
    while (killedAt.length < kills) {
      // Each run is killed somewhere in its own slice of the stream, so every kill lands mid-stream however fast
      // the firehose is: once the stored cursor passes a random point of the slice, a random few milliseconds
      // more put the kill anywhere (decoding, mid-batch, mid-transaction, between commits).
      const slice = killedAt.length
      const threshold = expected.firstTimeUs + Math.floor(((slice + random()) / (kills + 1)) * span)
      const run = startFirehose(env)
      await waitFor(
        async () => ((await storedCursor(database.db)) ?? 0) >= threshold || run.child.exitCode !== null,
        `the firehose passes ${threshold} after restart ${slice}`,
        60_000,
        5,
      )
      expect(run.child.exitCode, run.output.join('')).toBeNull()
      await new Promise((resolve) => setTimeout(resolve, random() * 150))
      run.child.kill('SIGKILL')
      expect((await run.exited).signal).toBe('SIGKILL')
      killedAt.push((await storedCursor(database.db)) ?? 0)
      // Whatever the lanes were doing when killed, the resume point is the smallest lane cursor, never more.
      const lanes = Object.values(await laneCursors(database.db))
      expect(lanes.length).toBeGreaterThan(1)
      expect(killedAt.at(-1)).toBe(Math.min(...lanes))
    }
    // Most kills must land mid-stream, not after the work is done.
    expect(killedAt.filter((c) => c < expected.lastTimeUs).length).toBeGreaterThanOrEqual(10)

    const last = startFirehose(env)
    await waitFor(
      async () => (await storedCursor(database.db)) === expected.lastTimeUs,
      'the last run reaches the end of the stream',
      120_000,
      50,
    )
    last.child.kill('SIGTERM')
    const { code } = await last.exited
    expect(code, last.output.join('')).toBe(0)

    expect(diffStates(await readIndexedState(database.db), expected.state)).toEqual([])
    expect(await storedCursor(database.db)).toBe(expected.lastTimeUs)
  })
})
