import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { freePort } from '@sundial/devnet'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

// `npm start` as a newcomer runs it: the prestart hook bundles the all-in-one process into dist/ and plain node
// runs it (no tsx), with the embedded Postgres under DATA_DIR. Nothing outside this machine is contacted: the
// Jetstream and PLC URLs point at a closed local port.
describe('npm start (the bundled production entry)', () => {
  let npm: ChildProcess | undefined
  let dataDir: string | undefined

  afterAll(async () => {
    if (npm && npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL')
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  it('builds, serves health and the dashboard files, and stops cleanly on SIGTERM', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'sundial-start-'))
    const closed = `127.0.0.1:${await freePort()}`
    npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: '0',
        EMBEDDED_PG_PORT: String(await freePort()),
        JETSTREAM_URL: `ws://${closed}/subscribe`,
        PLC_URL: `http://${closed}`,
        BACKFILL_ENABLED: 'false',
        LOG_LEVEL: 'info',
        NODE_OPTIONS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise<number | null>((resolve) => npm!.once('exit', (code) => resolve(code)))
    let stderr = ''
    npm.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-5000)))
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: npm!.stdout! }).on('line', (line) => {
        if (line.includes('"sundial listening"')) resolve(JSON.parse(line).port as number)
      })
      void exited.then((code) => reject(new Error(`npm start exited with ${code}: ${stderr}`)))
    })

    // The service really runs from the bundle, under node itself.
    const bundle = await readFile(path.join(ROOT, 'dist/sundial.js'), 'utf8')
    expect(bundle).toContain('sundial listening')

    const health = await fetch(`http://127.0.0.1:${port}/xrpc/_health`)
    expect(health.status).toBe(200)
    // Static files are found from the dashboard's source directory, not beside the bundle.
    const script = await fetch(`http://127.0.0.1:${port}/dashboard/static/app.js`)
    expect(script.status).toBe(200)
    expect(await script.text()).toBe(
      await readFile(path.join(ROOT, 'packages/dashboard/static/app.js'), 'utf8'),
    )

    // The start script execs node, so a SIGTERM to npm reaches the service, which drains and stops its Postgres.
    npm.kill('SIGTERM')
    expect(await exited).toBe(0)
    await expect(fetch(`http://127.0.0.1:${port}/xrpc/_health`)).rejects.toThrow()
    const pid = Number(
      (await readFile(path.join(dataDir, 'postgres/postmaster.pid'), 'utf8').catch(() => '0')).split('\n')[0],
    )
    expect(pid === 0 || !alive(pid)).toBe(true)
  }, 120_000)
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
