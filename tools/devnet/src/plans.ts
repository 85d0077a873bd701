import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely'
import type { CompiledQuery } from 'kysely'
import type pg from 'pg'
import type { Db } from '@sundial/common'

// Tests that prove statements reach their rows through indexes: record what code runs, then ask the planner, on
// tables filled to realistic proportions, how it would run each statement.

/** A query handle on `pool` (as the services build theirs) that hands every statement it runs to `onQuery`. */
export function queryLoggingDb(pool: pg.Pool, onQuery: (query: CompiledQuery) => void): Db {
  return new Kysely({
    dialect: new PostgresDialect({ pool }),
    plugins: [new CamelCasePlugin()],
    log: (event) => {
      if (event.level === 'query') onQuery(event.query)
    },
  }) as Db
}

export interface TableScan {
  table: string
  sql: string
}

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  Plans?: PlanNode[]
}

/**
 * The sequential scans Postgres plans for the statements among `queries` (each explained with its own
 * parameters, not run) on tables
 * holding at least `minRows` rows: a table of a few rows is rightly read whole, a big one never should be.
 */
export async function plannedTableScans(
  pool: pg.Pool,
  queries: readonly CompiledQuery[],
  minRows: number,
): Promise<TableScan[]> {
  const rowsIn = await tableRows(pool)
  const client = await pool.connect()
  try {
    const distinct = new Map(queries.map((q) => [`${q.sql}\n${JSON.stringify(q.parameters)}`, q]))
    const scans: TableScan[] = []
    for (const query of distinct.values()) {
      // Transaction control and settings have no plan.
      if (!/^\s*(select|with|insert|update|delete)\b/i.test(query.sql)) continue
      const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `explain (format json) ${query.sql}`,
        query.parameters as unknown[],
      )
      for (const table of seqScans(rows[0]['QUERY PLAN'][0].Plan)) {
        if ((rowsIn.get(table) ?? 0) < minRows) continue
        scans.push({ table, sql: query.sql.replace(/\s+/g, ' ').slice(0, 200) })
      }
    }
    return scans
  } finally {
    client.release()
  }
}

/** Live rows per table, as the statistics collector last counted them. */
export async function tableRows(pool: pg.Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ relname: string; n: number }>(
    'select relname, n_live_tup::int as n from pg_stat_user_tables',
  )
  return new Map(rows.map((t) => [t.relname, t.n]))
}

function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] ? [node['Relation Name']] : []
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)]
}
