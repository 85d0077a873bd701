import type { Kysely } from 'kysely'
import { sql } from 'kysely'

// Frozen: never edit after it lands; add a new migration instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table backfill_job (
      id bigserial primary key,
      did text not null,
      reason text not null check (reason in ('onboard', 'follow', 'gap', 'manual')),
      state text not null default 'pending' check (state in ('pending', 'running', 'done', 'failed')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      last_error text,
      pds_host text,
      rev text,
      records integer not null default 0,
      lease_owner text,
      lease_expires_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    -- At most one job waiting or running per account (a second request merges into it) and one finished row,
    -- the latest, which says whether the account's history is in and at which revision.
    create unique index backfill_job_active_idx on backfill_job (did) where state in ('pending', 'running');
    create unique index backfill_job_finished_idx on backfill_job (did) where state in ('done', 'failed');
    create index backfill_job_due_idx on backfill_job (next_attempt_at, id) where state = 'pending';
    create index backfill_job_lease_idx on backfill_job (lease_expires_at) where state = 'running';
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table backfill_job`.execute(db)
}
