import type { Kysely } from 'kysely'
import { sql } from 'kysely'

// Frozen: never edit after it lands; add a new migration instead.
// `attempts` counts claims, including ones cut short by a crash; retries and giving up must count only the
// attempts that actually failed, or a scheduler that was restarted often would fail drafts it never tried.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table scheduler_draft add column failures integer not null default 0`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table scheduler_draft drop column failures`.execute(db)
}
