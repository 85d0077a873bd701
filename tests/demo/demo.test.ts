import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runDemo } from '@sundial/demo'

// The offline demo is the all-in-one process (npm start) end to end: embedded Postgres under DATA_DIR, the
// firehose on a local Jetstream, the AppView behind a real PDS's proxy, and the scheduler publishing and
// confirming on Jetstream.
describe('npm run demo', () => {
  let stop: (() => Promise<void>) | undefined
  let dataDir: string | undefined

  afterAll(async () => {
    await stop?.()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  it('fills a timeline served through the PDS proxy and confirms every scheduled post', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'sundial-demo-'))
    const lines: string[] = []
    const demo = await runDemo({ port: 0, dataDir, once: true, log: (line) => lines.push(line) })
    stop = demo.stop
    // alice's own post, bob's three, carol's three and bob's repost of carol's last.
    expect(demo.summary.timelineItems).toBe(8)
    expect(demo.summary.confirmed).toBe(3)
    expect(lines.join('\n')).toContain(demo.summary.dashboardUrl)

    const health = await fetch(`${demo.summary.url}/xrpc/_health`)
    expect(health.status).toBe(200)
    // The printed password signs the operator in to the dashboard.
    const login = await fetch(`${demo.summary.dashboardUrl}login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password: demo.summary.adminPassword }).toString(),
    })
    expect(login.status).toBe(303)
    const cookie = login.headers.get('set-cookie')?.split(';')[0]
    expect(cookie).toBeTruthy()
    const page = await fetch(demo.summary.dashboardUrl, { headers: { cookie: cookie! } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<html')
  }, 240_000)
})
