import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'

// Some indexes are keyed on a 64-bit hash of a long text column instead of the column itself (the like and
// repost tables', migration 20261123T0800): much smaller entries, so cheaper inserts. Postgres uses such an index
// only for a condition on the same expression, and a hash can collide, so each condition here is written twice:
// on the hash, for the index, and on the column, for the answer.

/** `column = value`, through an index on hashtextextended(column, 0). */
export function hashedEquals(column: string, value: string | RawBuilder<unknown>): RawBuilder<boolean> {
  const col = sql.ref(column)
  return sql<boolean>`(hashtextextended(${col}, 0) = hashtextextended(${value}, 0) and ${col} = ${value})`
}

/** `column = any(values)`, through an index on hashtextextended(column, 0); `values` is a text[] expression. */
export function hashedIn(
  column: string,
  values: readonly string[] | RawBuilder<unknown>,
): RawBuilder<boolean> {
  const col = sql.ref(column)
  const array = Array.isArray(values) ? sql`${values}::text[]` : values
  return sql<boolean>`(hashtextextended(${col}, 0) = any(array(select hashtextextended(v, 0) from unnest(${array}) as v))
    and ${col} = any(${array}))`
}
