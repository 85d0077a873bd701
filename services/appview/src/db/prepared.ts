import { createHash } from 'node:crypto'
import { CamelCasePlugin, Kysely, PostgresDialect, sql } from 'kysely'
import type { PostgresPool, PostgresPoolClient, RawBuilder } from 'kysely'
import type pg from 'pg'
import type { DatabaseSchema, Db } from '@sundial/common'

const MARKER = '/* prepared */'

/**
 * Marks a statement to be sent as a named prepared statement: Postgres parses and plans it once per connection,
 * and later calls send only the parameters. Use it on the few hot statements whose text takes a small, fixed
 * number of shapes (each shape becomes one statement per connection).
 */
export const prepared: RawBuilder<unknown> = sql.raw(MARKER)

/**
 * A Kysely over an existing pool (not owned: destroying it leaves the pool open) that honours `prepared`.
 * Everything else behaves as the shared database handle does (same CamelCasePlugin).
 */
export function createPreparingDb(pool: pg.Pool): Db {
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>()
  const adapter: PostgresPool = {
    async connect() {
      const client = await pool.connect()
      let wrapper = wrappers.get(client)
      if (!wrapper) {
        wrapper = {
          query: ((text: string, values: ReadonlyArray<unknown>) => {
            if (typeof text === 'string' && text.includes(MARKER)) {
              return client.query({ name: statementName(text), text, values: [...values] })
            }
            return client.query(text, values as unknown[])
          }) as unknown as PostgresPoolClient['query'],
          release: () => client.release(),
        }
        wrappers.set(client, wrapper)
      }
      return wrapper
    },
    end: async () => undefined,
  }
  return new Kysely<DatabaseSchema>({
    dialect: new PostgresDialect({ pool: adapter }),
    plugins: [new CamelCasePlugin()],
  })
}

function statementName(text: string): string {
  return `sundial_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`
}
