import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { registerLocalUser } from '@sundial/common'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { JetstreamServer, syntheticEvents } from '@sundial/jetstream-server'
import type { SyntheticItem } from '@sundial/jetstream-server'
import { FirehoseService } from '@sundial/firehose'
import { expectedState } from './model.ts'
import { diffStates, readIndexedState } from './state.ts'
import { testConfig, waitFor } from './helpers.ts'

/**
 * The events the `local` scope keeps, in order: those of local users and of the accounts they follow, an account
 * entering the scope when a local user's follow of it goes by.
 */
function localScope(items: SyntheticItem[], locals: Set<string>): SyntheticItem[] {
  const admitted = new Set(locals)
  return items.filter((item) => {
    if (item.kind === 'malformed' || !admitted.has(item.did)) return false
    if (
      item.kind === 'commit' &&
      item.commit.collection === 'app.bsky.graph.follow' &&
      locals.has(item.did)
    ) {
      if (item.commit.operation !== 'delete') admitted.add(item.commit.record.subject as string)
    }
    return true
  })
}

// INDEX_SCOPE=local: only what local users need is stored: their own records and those of the accounts they
// follow, from the moment of the follow on.
describe('firehose with the local index scope', () => {
  const options = { seed: 12, count: 15_000, actors: 300 }
  let server: JetstreamServer
  let database: TestDatabase

  beforeAll(async () => {
    server = await JetstreamServer.create()
    server.loadSynthetic(options)
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_scope')
  })

  afterAll(async () => {
    await server?.close()
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('indexes local users and the accounts they follow, nothing else', async () => {
    const items = [...syntheticEvents(options)]
    // The two accounts that follow the most others in the stream become local users.
    const follows = new Map<string, number>()
    for (const item of items) {
      if (item.kind === 'commit' && item.commit.collection === 'app.bsky.graph.follow') {
        follows.set(item.did, (follows.get(item.did) ?? 0) + 1)
      }
    }
    const locals = new Set(
      [...follows]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 2)
        .map(([did]) => did),
    )
    for (const did of locals) await registerLocalUser(database.db, did)
    const kept = localScope(items, locals)
    const expected = expectedState(kept)
    expect(expected.state.posts.size).toBeGreaterThan(50)
    expect(kept.length).toBeLessThan(items.length / 2)

    const cfg = testConfig({
      jetstreamUrl: server.subscribeUrl,
      databaseUrl: database.url,
      env: { INDEX_SCOPE: 'local', FIREHOSE_SCOPE_REFRESH_MS: '200' },
    })
    const service = await FirehoseService.create({ ...cfg, batchSize: 300 }, { database, serveHttp: false })
    await service.start()
    const lastTimeUs = items[items.length - 1].time_us
    await waitFor(() => service.cursor === lastTimeUs, 'the cursor reaches the end of the stream')
    await service.destroy()

    expect(diffStates(await readIndexedState(database.db), expected.state)).toEqual([])
  })
})
