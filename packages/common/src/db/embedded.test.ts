import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '@sundial/devnet'
import { openDatabase } from './open.ts'
import type { Database } from './database.ts'

describe('embedded Postgres', () => {
  let dir: string | undefined
  let database: Database | undefined

  afterAll(async () => {
    await database?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('is reached through its Unix socket', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sundial-embedded-'))
    database = await openDatabase(
      { dataDir: dir, embeddedPort: await freePort(), poolSize: 1 },
      'embedded-test',
    )
    // A Unix-socket session has no server address.
    const { rows } = await sql<{ addr: string | null }>`select inet_server_addr()::text as addr`.execute(
      database.db,
    )
    expect(rows[0].addr).toBeNull()
  }, 120_000)
})
