// `npm run demo`: Sundial against a local atproto network, with no internet. Starts PLC, a PDS and the
// Jetstream-compatible server, seeds users who post, follow and schedule posts, runs Sundial (all services in
// one process) and prints the dashboard URL and a ready @atproto/api snippet. `--once` exits after the
// scheduled posts are confirmed (used by the test), printing a JSON summary as its last line.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { AtpAgent } from '@atproto/api'
import { freePort, startDevNetwork } from '@sundial/devnet'
import type { DevNetwork, DevUser } from '@sundial/devnet'
import { readConfig, Sundial } from '@sundial/sundial'

export interface DemoOptions {
  /** Sundial's port; 0 picks a free one. */
  port: number
  dataDir: string
  once: boolean
  log: (line: string) => void
}

export interface DemoSummary {
  url: string
  dashboardUrl: string
  adminPassword: string
  pdsUrl: string
  users: string[]
  timelineItems: number
  confirmed: number
}

export async function runDemo(opts: DemoOptions): Promise<{ summary: DemoSummary; stop(): Promise<void> }> {
  const port = opts.port || (await freePort())
  const url = `http://127.0.0.1:${port}`
  const serviceDid = `did:web:127.0.0.1%3A${port}`
  // The PDS proxies app.bsky reads to Sundial, so a plain logged-in agent's getTimeline() is served by Sundial.
  const net = await startDevNetwork({ pdsConfig: { bskyAppViewUrl: url, bskyAppViewDid: serviceDid } })
  const adminPassword = randomBytes(9).toString('base64url')
  let sundial: Sundial | undefined
  const stop = async () => {
    await sundial?.destroy()
    await net.close()
  }
  try {
    const users = await seed(net, opts.log)
    sundial = await Sundial.create(
      readConfig({
        PORT: String(port),
        PUBLIC_URL: url,
        SERVICE_DID: serviceDid,
        PLC_URL: net.plcUrl,
        JETSTREAM_URL: net.jetstream.subscribeUrl,
        // Replay everything the local Jetstream server holds, seed included.
        FIREHOSE_START_CURSOR: '1',
        DATA_DIR: opts.dataDir,
        // Any free port: the demo's embedded Postgres must not collide with a running `npm start`.
        EMBEDDED_PG_PORT: String(await freePort()),
        ADMIN_PASSWORD: adminPassword,
        OAUTH_HANDLE_RESOLVER_URL: net.pdsUrl,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      }),
    )
    await sundial.start()
    opts.log(`Sundial is running at ${url} (service DID ${serviceDid})`)

    const alice = users[0]
    const scheduled = await scheduleWithSundial(alice, url, serviceDid, opts.log)
    const timelineItems = await waitForTimeline(alice.agent, opts.log)
    const confirmed = opts.once ? await waitForConfirmed(alice, url, serviceDid, scheduled) : 0

    const summary: DemoSummary = {
      url,
      dashboardUrl: `${url}/dashboard/`,
      adminPassword,
      pdsUrl: net.pdsUrl,
      users: users.map((u) => u.handle),
      timelineItems,
      confirmed,
    }
    opts.log(
      [
        '',
        `Dashboard: ${summary.dashboardUrl}  (password: ${adminPassword})`,
        '',
        'Read a timeline from Sundial with @atproto/api (the local PDS proxies app.bsky.* to Sundial):',
        '',
        `  import { AtpAgent } from '@atproto/api'`,
        `  const agent = new AtpAgent({ service: '${net.pdsUrl}' })`,
        `  await agent.login({ identifier: '${alice.handle}', password: '${alice.password}' })`,
        `  const { data } = await agent.getTimeline({ limit: 20 })`,
        `  for (const item of data.feed) console.log(item.post.author.handle, item.post.record.text)`,
        '',
        `Alice's scheduled posts publish over the next minute and show as confirmed on the dashboard.`,
      ].join('\n'),
    )
    return { summary, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

const POSTS: Record<string, string[]> = {
  bob: ['Morning light over the harbour.', 'Trying out a self-hosted AppView today.', 'Coffee number two.'],
  carol: [
    'New sundial in the garden!',
    'It is exactly noon, says the sundial.',
    'Shadows are getting longer.',
  ],
}

async function seed(net: DevNetwork, log: (line: string) => void): Promise<DevUser[]> {
  const alice = await net.createUser('alice')
  const bob = await net.createUser('bob')
  const carol = await net.createUser('carol')
  for (const user of [alice, bob, carol]) {
    await user.agent.upsertProfile((p) => ({
      ...p,
      displayName: user.handle.split('.')[0].replace(/^./, (c) => c.toUpperCase()),
    }))
  }
  await alice.agent.follow(bob.did)
  await alice.agent.follow(carol.did)
  await bob.agent.follow(carol.did)
  let last: { uri: string; cid: string } | undefined
  for (const [name, texts] of Object.entries(POSTS)) {
    const user = name === 'bob' ? bob : carol
    for (const text of texts) last = await user.agent.post({ text })
  }
  if (last) {
    await alice.agent.like(last.uri, last.cid)
    await bob.agent.repost(last.uri, last.cid)
  }
  await alice.agent.post({ text: 'Hello from the Sundial demo.' })
  log(`Seeded ${[alice, bob, carol].map((u) => u.handle).join(', ')} on ${net.pdsUrl}`)
  return [alice, bob, carol]
}

async function serviceToken(user: DevUser, serviceDid: string, lxm: string): Promise<string> {
  const { data } = await user.agent.com.atproto.server.getServiceAuth({ aud: serviceDid, lxm })
  return data.token
}

async function sundialAgent(user: DevUser, url: string, serviceDid: string, lxm: string): Promise<AtpAgent> {
  const agent = new AtpAgent({ service: url })
  agent.setHeader('authorization', `Bearer ${await serviceToken(user, serviceDid, lxm)}`)
  return agent
}

/** Calls one of Sundial's own dev.sundial.* methods, which the @atproto/api client has no lexicon for. */
async function callSundial(
  user: DevUser,
  url: string,
  serviceDid: string,
  nsid: string,
  request: { params?: Record<string, string>; body?: unknown },
): Promise<unknown> {
  const query = new URLSearchParams(request.params).toString()
  const res = await fetch(`${url}/xrpc/${nsid}${query ? `?${query}` : ''}`, {
    method: request.body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${await serviceToken(user, serviceDid, nsid)}`,
      ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  })
  const json: unknown = await res.json()
  if (!res.ok) throw new Error(`${nsid} failed (${res.status}): ${JSON.stringify(json)}`)
  return json
}

async function scheduleWithSundial(
  user: DevUser,
  url: string,
  serviceDid: string,
  log: (line: string) => void,
): Promise<string[]> {
  const { data: appPassword } = await user.agent.com.atproto.server.createAppPassword({
    name: 'sundial-demo',
  })
  await callSundial(user, url, serviceDid, 'dev.sundial.scheduler.putAppPassword', {
    body: { appPassword: appPassword.password },
  })
  const uris: string[] = []
  for (let i = 1; i <= 3; i++) {
    const at = new Date(Date.now() + i * 5_000).toISOString()
    const writer = await sundialAgent(user, url, serviceDid, 'com.atproto.repo.createRecord')
    const { data } = await writer.com.atproto.repo.createRecord(
      {
        repo: user.did,
        collection: 'app.bsky.feed.post',
        record: { $type: 'app.bsky.feed.post', text: `Scheduled post ${i} from the demo`, createdAt: at },
      },
      { headers: { 'x-scheduled-at': at } },
    )
    uris.push(data.uri)
    log(`Scheduled ${data.uri} for ${at}`)
  }
  return uris
}

async function waitForTimeline(agent: AtpAgent, log: (line: string) => void): Promise<number> {
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      const { data } = await agent.getTimeline({ limit: 50 })
      if (data.feed.length > 0 || Date.now() > deadline) {
        log(`Alice's timeline, served by Sundial through her PDS, has ${data.feed.length} items`)
        return data.feed.length
      }
    } catch (err) {
      if (Date.now() > deadline) throw err
    }
    await sleep(500)
  }
}

async function waitForConfirmed(
  user: DevUser,
  url: string,
  serviceDid: string,
  uris: string[],
): Promise<number> {
  const deadline = Date.now() + 90_000
  for (;;) {
    const data = (await callSundial(user, url, serviceDid, 'dev.sundial.scheduler.listDrafts', {
      params: { status: 'confirmed', limit: '100' },
    })) as { drafts: Array<{ uri?: string }> }
    const confirmed = data.drafts.filter((d) => d.uri && uris.includes(d.uri)).length
    if (confirmed === uris.length || Date.now() > deadline) return confirmed
    await sleep(500)
  }
}
