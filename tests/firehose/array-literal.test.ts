import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { createTestDatabase, dropDatabase } from '@sundial/devnet'
import type { TestDatabase } from '@sundial/devnet'
import { arrayLiteral } from '../../services/firehose/src/db/rows.ts'
import type { ArrayElement } from '../../services/firehose/src/db/rows.ts'

// The firehose writes array parameters as literals it builds itself: Postgres must read back exactly the values
// node-postgres would have sent for the same JS array.
describe('array literals in Postgres', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase(inject('pgAdminUrl'), 'firehose_array_literal')
  })

  afterAll(async () => {
    await database?.close()
    if (database) await dropDatabase(inject('pgAdminUrl'), database.name)
  })

  const texts: ArrayElement[][] = [
    [],
    [''],
    ['at://did:plc:abc/app.bsky.feed.like/3lab', 'bafyreiabc', '2026-11-23T14:31:17.000Z'],
    ['say "hi"', 'back\\slash', '\\"', '"', '\\'],
    ['a', null, undefined, 'NULL', 'null'],
    ['a,b', '{c}', ' spaced ', 'tab\tand\nnewline', 'ünïcödé 🌞'],
  ]

  it.each(texts)('reads text arrays back as node-postgres sends them (%#)', async (...values) => {
    const { rows } = await sql<{ ours: string[]; theirs: string[] }>`
      select ${arrayLiteral(values)}::text[] as ours, ${values}::text[] as theirs
    `.execute(database.db)
    expect(rows[0].ours).toEqual(rows[0].theirs)
    expect(rows[0].ours).toEqual(values.map((v) => v ?? null))
  })

  it('reads numbers back as bigint and int arrays', async () => {
    const timeUs = [1732370000000000, 1, 0]
    const counts = [-1, 2, 0]
    const { rows } = await sql<{ timeUs: string[]; counts: number[] }>`
      select ${arrayLiteral(timeUs)}::bigint[] as "timeUs", ${arrayLiteral(counts)}::int[] as counts
    `.execute(database.db)
    expect(rows[0].timeUs.map(Number)).toEqual(timeUs)
    expect(rows[0].counts).toEqual(counts)
  })

  it('reads timestamps back as timestamptz', async () => {
    const createdAt = ['2026-11-23T14:31:17.123Z', '1970-01-01T00:00:00.000Z']
    const { rows } = await sql<{ createdAt: Date[] }>`
      select ${arrayLiteral(createdAt)}::timestamptz[] as "createdAt"
    `.execute(database.db)
    expect(rows[0].createdAt.map((d) => d.toISOString())).toEqual(createdAt)
  })
})
