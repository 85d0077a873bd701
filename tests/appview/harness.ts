// Starts Sundial's AppView on a fresh test database, with a dev-env PLC + PDS whose accounts mint real service
// tokens for it.
import { Agent, AtpAgent } from '@atproto/api'
import type { LexiconDoc } from '@atproto/lexicon'
import { TestNetworkNoAppView } from '@atproto/dev-env'
import type { CompiledQuery } from 'kysely'
import { AppView } from '@sundial/appview'
import type { AppViewConfig } from '@sundial/appview'
import { createTestDatabase, dropDatabase, freePort, queryLoggingDb } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { schemas as sundialSchemas } from '@sundial/lexicon'
import { Seeder } from './seed.ts'

export interface TestUser {
  did: string
  handle: string
  /** Logged in to the dev-env PDS. */
  pds: AtpAgent
}

export interface Harness {
  appview: AppView
  cfg: AppViewConfig
  database: TestDatabase
  network: TestNetworkNoAppView
  seed: Seeder
  createUser(name: string): Promise<TestUser>
  /** An @atproto/api client of the AppView; with a user, every call carries a fresh service token from their PDS. */
  client(user?: TestUser): Agent
  close(): Promise<void>
}

export function appViewConfig(
  port: number,
  plcUrl: string,
  overrides: Partial<AppViewConfig> = {},
): AppViewConfig {
  const publicUrl = `http://localhost:${port}`
  return {
    serviceDid: `did:web:localhost%3A${port}`,
    publicUrl,
    schedulerUrl: publicUrl,
    port,
    plcUrl,
    db: { dataDir: '', embeddedPort: 0, poolSize: 5 },
    validateResponses: true,
    logLevel: 'silent',
    ...overrides,
  }
}

export interface HarnessOptions {
  config?: Partial<AppViewConfig>
  /** Give the AppView only a query handle (no pool), so no statement is prepared. Default false. */
  queryHandleOnly?: boolean
  /** Implies queryHandleOnly: every statement the AppView runs is also handed here, with its parameters. */
  onQuery?: (query: CompiledQuery) => void
}

export async function startHarness(pgAdminUrl: string, opts: HarnessOptions = {}): Promise<Harness> {
  const network = await TestNetworkNoAppView.create({})
  const database = await createTestDatabase(pgAdminUrl, 'appview')
  const cfg = appViewConfig(await freePort(), network.plc.url, opts.config)
  const appview = await AppView.create(
    cfg,
    opts.onQuery
      ? { db: queryLoggingDb(database.pool, opts.onQuery) }
      : opts.queryHandleOnly
        ? { db: database.db }
        : { database },
  )
  await appview.start()
  let users = 0
  return {
    appview,
    cfg,
    database,
    network,
    seed: new Seeder(database.db),
    async createUser(name) {
      users += 1
      const handle = `${name}.test`
      const pds = new AtpAgent({ service: network.pds.url })
      await pds.createAccount({ handle, email: `${name}${users}@example.com`, password: 'password' })
      return { did: pds.assertDid, handle, pds }
    },
    client(user) {
      return appViewClient(appview.url, cfg.serviceDid, user?.pds)
    },
    async close() {
      await appview.destroy()
      await network.close()
      await database.close()
      await dropDatabase(pgAdminUrl.toString(), database.name)
    },
  }
}

/**
 * An Agent that sends every call to `url`, authenticated (when `pds` is given) with a service token minted by
 * the caller's PDS for exactly that method (`lxm`) and audience.
 */
export function appViewClient(url: string, aud: string, pds?: AtpAgent): Agent {
  const agent = new Agent(async (pathname, init) => {
    const headers = new Headers(init.headers)
    if (pds) {
      const lxm = new URL(pathname, url).pathname.replace(/^\/xrpc\//, '')
      const { data } = await pds.com.atproto.server.getServiceAuth({ aud, lxm })
      headers.set('authorization', `Bearer ${data.token}`)
    }
    return fetch(new URL(pathname, url), { ...init, headers })
  })
  for (const doc of sundialSchemas) agent.lex.add(doc as LexiconDoc)
  return agent
}
