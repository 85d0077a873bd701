import type { Kysely } from 'kysely'
import { sql } from 'kysely'

// Frozen: never edit after it lands; add a new migration instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table scheduler_schedule (
      id text primary key,
      owner_did text not null,
      collection text not null,
      record jsonb,
      content_url text,
      rrule text not null,
      timezone text not null,
      -- wall-clock start in the schedule's time zone, 'YYYY-MM-DDTHH:mm:ss'
      dtstart_local text not null,
      exceptions jsonb not null default '[]',
      paused boolean not null default false,
      status text not null default 'active' check (status in ('active', 'completed')),
      keep_created_at boolean not null default false,
      next_occurrence_at timestamptz,
      fire_count integer not null default 0,
      blob_cids text[] not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (record is not null or content_url is not null)
    );
    create index scheduler_schedule_owner_idx on scheduler_schedule (owner_did, created_at desc, id desc);

    create table scheduler_draft (
      id text primary key,
      owner_did text not null,
      status text not null check (
        status in ('draft', 'scheduled', 'publishing', 'published', 'confirmed', 'failed', 'cancelled')
      ),
      operation text not null check (operation in ('create', 'put', 'delete', 'applyWrites')),
      collection text,
      rkey text,
      uri text not null,
      record jsonb,
      writes jsonb,
      draft_cid text,
      validate boolean,
      keep_created_at boolean not null default false,
      blob_cids text[] not null default '{}',
      scheduled_at timestamptz,
      -- when the publisher must act on the row: the due time of a scheduled draft, the lease expiry of a
      -- publishing one; null otherwise. One index on it finds every next wake-up.
      wake_at timestamptz,
      next_attempt_at timestamptz,
      attempts integer not null default 0,
      lease_owner text,
      lease_expires_at timestamptz,
      trigger_hash text unique,
      trigger_fired_at timestamptz,
      schedule_id text references scheduler_schedule (id) on delete set null,
      occurrence_at timestamptz,
      published_uri text,
      published_cid text,
      published_record jsonb,
      published_at timestamptz,
      confirmed_at timestamptz,
      confirm_state text check (confirm_state in ('awaiting', 'confirmed', 'unconfirmed')),
      confirm_note text,
      last_error text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index scheduler_draft_wake_idx on scheduler_draft (wake_at) where wake_at is not null;
    create index scheduler_draft_owner_idx on scheduler_draft (owner_did, created_at desc, id desc);
    create index scheduler_draft_owner_status_idx on scheduler_draft (owner_did, status, created_at desc, id desc);
    create index scheduler_draft_awaiting_idx on scheduler_draft (published_at) where status = 'published';
    create unique index scheduler_draft_occurrence_idx on scheduler_draft (schedule_id, occurrence_at)
      where schedule_id is not null;

    create table scheduler_blob (
      owner_did text not null,
      cid text not null,
      mime_type text not null,
      size integer not null,
      bytes bytea not null,
      created_at timestamptz not null default now(),
      -- an upload no draft references is dropped after this moment
      unreferenced_expires_at timestamptz not null,
      primary key (owner_did, cid)
    );

    create table scheduler_confirmation (
      draft_id text not null references scheduler_draft (id) on delete cascade,
      idx integer not null,
      owner_did text not null,
      uri text not null,
      cid text,
      action text not null check (action in ('create', 'update', 'delete')),
      published_at timestamptz not null,
      seen_at timestamptz,
      primary key (draft_id, idx)
    );
    create index scheduler_confirmation_pending_idx on scheduler_confirmation (uri) where seen_at is null;

    create table scheduler_credential (
      did text primary key,
      kind text not null check (kind in ('app_password', 'oauth')),
      pds_url text not null,
      identifier text,
      secret_enc bytea,
      session_enc bytea,
      status text not null default 'active' check (status in ('active', 'revoked')),
      last_error text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table scheduler_oauth_state (
      key text primary key,
      value_enc bytea not null,
      created_at timestamptz not null default now()
    );

    create table scheduler_oauth_session (
      sub text primary key,
      value_enc bytea not null,
      updated_at timestamptz not null default now()
    );

    create table scheduler_webhook_outbox (
      id bigserial primary key,
      event text not null,
      draft_id text,
      payload jsonb not null,
      attempts integer not null default 0,
      next_attempt_at timestamptz,
      lease_expires_at timestamptz,
      delivered_at timestamptz,
      last_error text,
      created_at timestamptz not null default now()
    );
    create index scheduler_webhook_outbox_due_idx on scheduler_webhook_outbox (next_attempt_at)
      where next_attempt_at is not null;
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table if exists scheduler_webhook_outbox;
    drop table if exists scheduler_oauth_session;
    drop table if exists scheduler_oauth_state;
    drop table if exists scheduler_credential;
    drop table if exists scheduler_confirmation;
    drop table if exists scheduler_blob;
    drop table if exists scheduler_draft;
    drop table if exists scheduler_schedule;
  `.execute(db)
}
