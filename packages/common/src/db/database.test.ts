import { afterAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { migrateToLatest } from './database.ts'

describe('migrations', () => {
  let database: TestDatabase | undefined

  afterAll(async () => {
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  it('apply once, create the core tables, and are idempotent on a second run', async () => {
    database = await createTestDatabase(inject('pgAdminUrl'))
    const tables = await sql<{
      tablename: string
    }>`select tablename from pg_tables where schemaname = 'public'`.execute(database.db)
    const names = tables.rows.map((r) => r.tablename)
    for (const t of [
      'actor',
      'post',
      'repost',
      'follow',
      'like',
      'profile',
      'timeline_item',
      'cursor',
      'tombstone',
    ]) {
      expect(names).toContain(t)
    }
    const again = await migrateToLatest(database.db)
    expect(again.applied).toEqual([])
  })
})
