import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { AtpAgent } from '@atproto/api'
import type { PdsConfig, TestNetwork, TestNetworkNoAppView } from '@atproto/dev-env'
import { JetstreamServer } from '@sundial/jetstream-server'
import type { JetstreamServerOptions } from '@sundial/jetstream-server'
import { createEmptyDatabase, dropDatabase } from './postgres.ts'

export interface DevNetworkOptions {
  /**
   * Also run the reference AppView (`@atproto/bsky`, with the moderation service dev-env pairs it with),
   * indexing the PDS. Needs `pgAdminUrl`; takes several seconds longer to start.
   */
  withAppView?: boolean
  /** Admin URL of a Postgres cluster; the AppView gets a fresh database in it, dropped on close. */
  pgAdminUrl?: string
  /** Overrides for the PDS environment. */
  pdsConfig?: Partial<PdsConfig>
  /** Options for the Jetstream server relaying the PDS. */
  jetstream?: JetstreamServerOptions
}

export interface DevUser {
  did: string
  handle: string
  email: string
  password: string
  /** Logged in on the PDS. */
  agent: AtpAgent
}

export interface DevNetwork {
  pdsUrl: string
  plcUrl: string
  /** Relays the PDS's repo stream as Jetstream. */
  jetstream: JetstreamServer
  network: TestNetworkNoAppView | TestNetwork
  /** Set with `withAppView`. */
  bskyUrl?: string
  bskyDid?: string
  /** Creates an account on the PDS; a handle without a dot gets the PDS's `.test` domain. */
  createUser(handle: string): Promise<DevUser>
  /**
   * Resolves once everything the PDS has committed so far was emitted by the Jetstream server (and, with the
   * AppView, indexed by it).
   */
  sync(timeoutMs?: number): Promise<void>
  /** Stops every server and removes every file and database the network created. */
  close(): Promise<void>
}

/**
 * A local atproto network for tests and the demo: a PLC directory and a PDS from `@atproto/dev-env`, a
 * Jetstream server fed by the PDS's repo stream, and optionally the reference AppView.
 */
export async function startDevNetwork(options: DevNetworkOptions = {}): Promise<DevNetwork> {
  if (options.withAppView && !options.pgAdminUrl) throw new Error('withAppView needs pgAdminUrl')
  // Loaded on demand: dev-env pulls in the PDS, AppView and Ozone, seconds of start-up that users of the
  // rest of this package should not pay.
  const { TestNetwork, TestNetworkNoAppView } = await import('@atproto/dev-env')
  const workDir = await mkdtemp(
    path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'sundial-devnet-'),
  )
  const pds: Partial<PdsConfig> = {
    blobstoreDiskTmpLocation: path.join(workDir, 'blob-tmp'),
    ...options.pdsConfig,
  }
  let appViewDatabase: { adminUrl: string; name: string } | null = null
  let network: TestNetworkNoAppView | TestNetwork | null = null
  let jetstream: JetstreamServer | null = null
  try {
    if (options.withAppView) {
      const url = await createEmptyDatabase(options.pgAdminUrl!, 'devnet_appview')
      appViewDatabase = { adminUrl: options.pgAdminUrl!, name: new URL(url).pathname.slice(1) }
      // dev-env asserts REDIS_HOST is set although @atproto/bsky never connects to it in this setup.
      network = await withEnv({ TMPDIR: workDir, REDIS_HOST: process.env.REDIS_HOST ?? 'unused' }, () =>
        TestNetwork.create({ dbPostgresUrl: url, dbPostgresSchema: 'devnet', pds }),
      )
    } else {
      // dev-env puts each PDS's data and blobs under os.tmpdir(): point it at our directory so close() removes them.
      network = await withEnv({ TMPDIR: workDir }, () => TestNetworkNoAppView.create({ pds }))
    }
    jetstream = await JetstreamServer.create(options.jetstream)
    await jetstream.attachPds(network.pds.url)
  } catch (err) {
    await cleanUp({ jetstream, network, workDir, appViewDatabase })
    throw err
  }
  const bsky = network instanceof TestNetwork ? network.bsky : undefined
  return devNetwork(network, jetstream, bsky, async () =>
    cleanUp({ jetstream, network, workDir, appViewDatabase }),
  )
}

function devNetwork(
  network: TestNetworkNoAppView | TestNetwork,
  jetstream: JetstreamServer,
  bsky: TestNetwork['bsky'] | undefined,
  cleanUpAll: () => Promise<void>,
): DevNetwork {
  const pdsUrl = network.pds.url
  let closing: Promise<void> | null = null
  return {
    pdsUrl,
    plcUrl: network.plc.url,
    jetstream,
    network,
    bskyUrl: bsky?.url,
    bskyDid: bsky?.ctx.cfg.serverDid,
    createUser: (handle) => createUser(pdsUrl, handle),
    async sync(timeoutMs = 10_000) {
      await network.processAll()
      const seq = await network.pds.ctx.sequencer.curr()
      if (seq !== null) await jetstream.waitForUpstreamSeq(pdsUrl, seq, timeoutMs)
    },
    close() {
      closing ??= cleanUpAll()
      return closing
    },
  }
}

async function createUser(pdsUrl: string, handle: string): Promise<DevUser> {
  const fullHandle = handle.includes('.') ? handle : `${handle}.test`
  const email = `${fullHandle.split('.')[0]}@test.invalid`
  const password = randomBytes(12).toString('base64url')
  const agent = new AtpAgent({ service: pdsUrl })
  const { data } = await agent.createAccount({ handle: fullHandle, email, password })
  return { did: data.did, handle: data.handle, email, password, agent }
}

async function cleanUp(resources: {
  jetstream: JetstreamServer | null
  network: TestNetworkNoAppView | TestNetwork | null
  workDir: string
  appViewDatabase: { adminUrl: string; name: string } | null
}): Promise<void> {
  await resources.jetstream?.close()
  await resources.network?.close()
  await rm(resources.workDir, { recursive: true, force: true })
  if (resources.appViewDatabase) {
    await dropDatabase(resources.appViewDatabase.adminUrl, resources.appViewDatabase.name)
  }
}

/** Runs `fn` with environment variables set, restoring them afterwards (dev-env reads a few at start-up). */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]))
  Object.assign(process.env, vars)
  try {
    return await fn()
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
}
