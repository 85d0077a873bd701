import type { Kysely } from 'kysely'
import { sql } from 'kysely'

// Frozen: never edit after it lands; add a new migration instead.
//
// local_follow: the follow records whose author is a local user, keyed by subject. Every batch of the firehose asks
// "which of these authors does a local user follow?" and the fan-out asks "which local users follow this
// originator?". Answered from `follow` joined to `local_user`, both read every follower of the author (the
// follow_subject index), which for an account with a million followers is a million rows per post, although only
// a handful of them are local. This table holds only local users' follows, so both questions cost one index probe
// per author, whatever the author's following.
//
// Triggers keep it exact whatever writes `follow` or `local_user` (the firehose, the backfill, registration,
// tests): statement-level, over the statement's transition table, so a batch of follows costs one join with the
// (small) local_user table, not a trigger call per row. Follow rows are never updated in place (a record's
// new version is a delete and an insert), so there is no update trigger. One row per follow record: an account
// followed twice by the same local user (duplicate records exist on the network) stays followed until both go.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table local_follow (
      uri text primary key,
      viewer_did text not null,
      subject_did text not null
    );
    create index local_follow_subject_idx on local_follow (subject_did, viewer_did);
    create index local_follow_viewer_idx on local_follow (viewer_did);

    insert into local_follow (uri, viewer_did, subject_did)
    select f.uri, f.author_did, f.subject_did from follow f join local_user lu on lu.did = f.author_did;

    create function local_follow_follows_inserted() returns trigger language plpgsql as $$
    begin
      insert into local_follow (uri, viewer_did, subject_did)
      select n.uri, n.author_did, n.subject_did from new_follows n join local_user lu on lu.did = n.author_did
      on conflict (uri) do nothing;
      return null;
    end $$;
    create trigger follow_local_follow_insert after insert on follow
      referencing new table as new_follows for each statement execute function local_follow_follows_inserted();

    create function local_follow_follows_deleted() returns trigger language plpgsql as $$
    begin
      delete from local_follow lf using old_follows o where lf.uri = o.uri;
      return null;
    end $$;
    create trigger follow_local_follow_delete after delete on follow
      referencing old table as old_follows for each statement execute function local_follow_follows_deleted();

    create function local_follow_users_inserted() returns trigger language plpgsql as $$
    begin
      insert into local_follow (uri, viewer_did, subject_did)
      select f.uri, f.author_did, f.subject_did from new_users n join follow f on f.author_did = n.did
      on conflict (uri) do nothing;
      return null;
    end $$;
    create trigger local_user_local_follow_insert after insert on local_user
      referencing new table as new_users for each statement execute function local_follow_users_inserted();

    create function local_follow_users_deleted() returns trigger language plpgsql as $$
    begin
      delete from local_follow lf using old_users o where lf.viewer_did = o.did;
      return null;
    end $$;
    create trigger local_user_local_follow_delete after delete on local_user
      referencing old table as old_users for each statement execute function local_follow_users_deleted();

    create function local_follow_truncated() returns trigger language plpgsql as $$
    begin
      truncate local_follow;
      return null;
    end $$;
    create trigger follow_local_follow_truncate after truncate on follow
      for each statement execute function local_follow_truncated();
    create trigger local_user_local_follow_truncate after truncate on local_user
      for each statement execute function local_follow_truncated();
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger local_user_local_follow_truncate on local_user;
    drop trigger follow_local_follow_truncate on follow;
    drop trigger local_user_local_follow_delete on local_user;
    drop trigger local_user_local_follow_insert on local_user;
    drop trigger follow_local_follow_delete on follow;
    drop trigger follow_local_follow_insert on follow;
    drop function local_follow_truncated(), local_follow_users_deleted(), local_follow_users_inserted(),
      local_follow_follows_deleted(), local_follow_follows_inserted();
    drop table local_follow;
  `.execute(db)
}
