import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { hashedEquals, hashedIn } from './hashed-keys.ts'

// The conditions must select exactly the rows the plain condition would, and reach them through the hashed
// indexes of migration 20261123T0800 (a drifting expression would silently fall back to a full scan).
describe('hashedEquals / hashedIn', () => {
  let database: TestDatabase
  const authors = Array.from({ length: 40 }, (_, i) => `did:plc:author${String(i).padStart(18, '0')}`)
  const subjects = Array.from({ length: 50 }, (_, i) => `at://did:plc:poster/app.bsky.feed.post/${1000 + i}`)

  beforeAll(async () => {
    database = await createTestDatabase(inject('pgAdminUrl'), 'hashed_keys')
    // 1,000 likes and 1,000 reposts: each author on every other subject (author and subject numbers of one parity).
    await sql`
      with pairs as (
        select a.did, s.uri, a.n * 100 + s.n as k
        from unnest(${authors}::text[]) with ordinality as a(did, n)
        cross join unnest(${subjects}::text[]) with ordinality as s(uri, n)
        where (a.n + s.n) % 2 = 0
      ), likes as (
        insert into "like" (uri, cid, author_did, subject_uri, subject_cid, created_at)
        select 'at://' || did || '/app.bsky.feed.like/' || k, 'bafylike' || k, did, uri, 'bafypost',
          now() - k * interval '1 second'
        from pairs
      )
      insert into repost (uri, cid, author_did, subject_uri, subject_cid, created_at, sort_at)
      select 'at://' || did || '/app.bsky.feed.repost/' || k, 'bafyrepost' || k, did, uri, 'bafypost',
        now() - k * interval '1 second', now() - k * interval '1 second'
      from pairs
    `.execute(database.db)
    await sql`analyze "like"; analyze repost`.execute(database.db)
  })

  afterAll(async () => {
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  async function uris(table: 'like' | 'repost', where: RawBuilder<boolean>): Promise<string[]> {
    const { rows } = await sql<{ uri: string }>`
      select uri from ${sql.table(table)} where ${where} order by uri
    `.execute(database.db)
    return rows.map((r) => r.uri)
  }

  async function plan(table: 'like' | 'repost', where: RawBuilder<boolean>): Promise<string> {
    await sql`set enable_seqscan = off`.execute(database.db)
    try {
      const { rows } = await sql<{ 'QUERY PLAN': string }>`
        explain select uri from ${sql.table(table)} where ${where}
      `.execute(database.db)
      return rows.map((r) => r['QUERY PLAN']).join('\n')
    } finally {
      await sql`reset enable_seqscan`.execute(database.db)
    }
  }

  for (const table of ['like', 'repost'] as const) {
    it(`selects exactly the plain condition's ${table} rows, through the hashed indexes`, async () => {
      const viewer = authors[3]
      const asked = [subjects[0], subjects[1], subjects[7], 'at://did:plc:nobody/app.bsky.feed.post/1']
      const viewerRows = sql<boolean>`author_did = ${viewer} and subject_uri = any(${asked}::text[])`
      const hashed = sql<boolean>`${hashedEquals('author_did', viewer)} and ${hashedIn('subject_uri', asked)}`
      const expected = await uris(table, viewerRows)
      expect(expected.length).toBe(2)
      expect(await uris(table, hashed)).toEqual(expected)
      expect(await plan(table, hashed)).toContain(`${table}_author_subject_key_idx`)

      const bySubject = await uris(table, hashedEquals('subject_uri', subjects[4]))
      expect(bySubject).toEqual(await uris(table, sql<boolean>`subject_uri = ${subjects[4]}`))
      expect(bySubject.length).toBe(20)
      expect(await plan(table, hashedEquals('subject_uri', subjects[4]))).toContain(
        `${table}_subject_key_idx`,
      )

      const byAuthor = await uris(table, hashedEquals('author_did', authors[0]))
      expect(byAuthor).toEqual(await uris(table, sql<boolean>`author_did = ${authors[0]}`))
      expect(byAuthor.length).toBe(25)

      expect(await uris(table, hashedIn('subject_uri', []))).toEqual([])
      expect(await uris(table, hashedEquals('author_did', 'did:plc:stranger'))).toEqual([])
    })
  }
})
