// getTimeline latency over a large index: BENCH_POSTS posts (default 10M) by BENCH_AUTHORS authors (100k), a
// viewer following BENCH_FOLLOWS of them (1,000). Rows are generated inside Postgres with generate_series and
// indexes are built after the load. Measures Sundial's in-process getTimeline (first page and deep pages) and
// the reference AppView's query shape (feed_item joined with the viewer's follows) on the same data.
//
//   npm run bench:timeline
//   BENCH_POSTS=1000000 BENCH_DATA_DIR=/var/tmp/tl npm run bench:timeline   # smaller; keep the cluster to rerun
//
// Last stdout line: {"posts":N,"follows":F,"p50Ms":A,"p99Ms":B,"refP50Ms":C,"refP99Ms":D}
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { AppView } from '@sundial/appview'
import { getTimeline } from '../services/appview/src/api/app/bsky/feed/getTimeline.ts'
import { getTimelinePage, hydratedTimelineQuery } from '../services/appview/src/db/feeds.ts'
import { encodeTimeCid } from '../services/appview/src/db/pagination.ts'
import { createDatabase, migrateToLatest, registerLocalUser, startEmbeddedPostgres } from '@sundial/common'
import type { Database, Db } from '@sundial/common'
import { freePort } from '@sundial/devnet'
import { sql } from 'kysely'

const POSTS = intEnv('BENCH_POSTS', 10_000_000)
const AUTHORS = intEnv('BENCH_AUTHORS', 100_000)
const FOLLOWS = intEnv('BENCH_FOLLOWS', 1_000)
const CALLS = intEnv('BENCH_CALLS', 300)
/** The reference query shape takes far longer per call; fewer calls still give its p99. */
const REF_CALLS = intEnv('BENCH_REF_CALLS', 100)
const LIMIT = 50
const REPOSTS = Math.floor(POSTS / 20)
/** Background follow graph: every author follows this many others, so the follow table is not trivially small. */
const FOLLOWS_PER_AUTHOR = 20
const VIEWER = 'did:plc:benchviewer00000000000000'
const CHUNK = 1_000_000
/** Posts are spread back from this instant, one every `POSTS / year`. */
const NEWEST = Date.UTC(2026, 10, 1)
const SPAN_SECONDS = 365 * 24 * 3600

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  return raw ? Number(raw) : fallback
}

function log(message: string) {
  process.stderr.write(`[bench:timeline] ${message}\n`)
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now()
  const result = await fn()
  log(`${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`)
  return result
}

/** Numbers inlined as SQL literals, so Postgres never has to guess a parameter's type. */
const lit = (value: number) => sql.lit(value)

const did = (i: unknown) => sql`('did:plc:bench' || lpad((${i})::text, 19, '0'))`

async function load(db: Db): Promise<void> {
  // Bulk-load settings; durability does not matter for a throwaway cluster, and reads are measured later.
  for (const setting of [
    `fsync = off`,
    `synchronous_commit = off`,
    `full_page_writes = off`,
    `max_wal_size = '16GB'`,
    `checkpoint_timeout = '30min'`,
    `maintenance_work_mem = '1GB'`,
    `max_parallel_maintenance_workers = 2`,
  ]) {
    await sql.raw(`alter system set ${setting}`).execute(db)
  }
  await sql`select pg_reload_conf()`.execute(db)

  const tables = [
    'actor',
    'profile',
    'post',
    'repost',
    'follow',
    'like',
    'post_agg',
    'actor_agg',
    'feed_item',
  ]
  const { rows: indexes } = await sql<{ ddl: string; drop: string }>`
    select pg_get_indexdef(i.indexrelid) || ';' as ddl, format('drop index %I;', c.relname) as drop
    from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
    where t.relname = any(${tables}) and not i.indisprimary
  `.execute(db)
  const { rows: pkeys } = await sql<{ ddl: string; drop: string }>`
    select format('alter table %I add constraint %I %s;', t.relname, c.conname, pg_get_constraintdef(c.oid)) as ddl,
      format('alter table %I drop constraint %I;', t.relname, c.conname) as drop
    from pg_constraint c join pg_class t on t.oid = c.conrelid
    where c.contype = 'p' and t.relname = any(${tables})
  `.execute(db)
  for (const { drop } of [...indexes, ...pkeys]) await sql.raw(drop).execute(db)

  await timed(`actors + profiles (${AUTHORS})`, async () => {
    await sql`
      insert into actor (did, handle, pds_endpoint, rev)
      select ${did(sql`i`)}, 'user' || i || '.bench.test', 'https://pds.bench.test', '3kbench' || i
      from generate_series(0, ${lit(AUTHORS - 1)}) i
    `.execute(db)
    await sql`
      insert into actor (did, handle, rev) values (${VIEWER}, 'viewer.bench.test', '3kviewer')
    `.execute(db)
    await sql`
      insert into profile (did, uri, cid, display_name, description, avatar_cid, record, created_at)
      select d, 'at://' || d || '/app.bsky.actor.profile/self', 'bafyreiprofile' || md5(d),
        'User ' || i, 'Bio of user ' || i, 'bafkreiavatar' || md5(d),
        jsonb_build_object('$type', 'app.bsky.actor.profile', 'displayName', 'User ' || i,
          'avatar', jsonb_build_object('$type', 'blob', 'ref', jsonb_build_object('$link', 'bafkreiavatar' || md5(d)),
            'mimeType', 'image/jpeg', 'size', 1000)),
        timestamptz '2024-01-01'
      from (select i, ${did(sql`i`)} as d from generate_series(0, ${lit(AUTHORS - 1)}) i) a
    `.execute(db)
  })

  await timed(`posts (${POSTS})`, async () => {
    // Two chunks at a time: one insert keeps only one core busy.
    const chunks: number[] = []
    for (let from = 0; from < POSTS; from += CHUNK) chunks.push(from)
    const worker = async () => {
      for (let from = chunks.shift(); from !== undefined; from = chunks.shift()) {
        await insertPosts(db, from, Math.min(POSTS, from + CHUNK) - 1)
      }
    }
    await Promise.all([worker(), worker()])
  })

  await timed(`reposts (${REPOSTS})`, async () => {
    await sql`
      insert into repost (uri, cid, author_did, subject_uri, subject_cid, created_at, indexed_at, sort_at)
      select 'at://' || r.author || '/app.bsky.feed.repost/' || lpad(to_hex(k), 13, 'z'),
        'bafyreirepost' || md5(k::text), r.author,
        'at://' || ${did(sql`r.subject % ${lit(AUTHORS)}`)} || '/app.bsky.feed.post/' || lpad(to_hex(r.subject), 13, 'z'),
        'bafyrei' || md5(r.subject::text) || left(md5('c' || r.subject), 20), r.ts, r.ts, r.ts
      from generate_series(0::bigint, ${lit(REPOSTS - 1)}) k,
        lateral (select ${did(sql`(k * 7919) % ${lit(AUTHORS)}`)} as author,
          ((k * 20 + 1000) % ${lit(POSTS)})::bigint as subject,
          to_timestamp(${lit(NEWEST / 1000)} - (k * 20)::float8 * ${lit(SPAN_SECONDS / POSTS)} + 60) as ts) r
    `.execute(db)
  })

  await timed(`follows (${AUTHORS * FOLLOWS_PER_AUTHOR} background + ${FOLLOWS} by the viewer)`, async () => {
    await sql`
      insert into follow (uri, cid, author_did, subject_did, created_at)
      select 'at://' || ${did(sql`a`)} || '/app.bsky.graph.follow/' || lpad(to_hex(a * 100 + j), 13, 'z'),
        'bafyreifollow' || md5((a * 100 + j)::text), ${did(sql`a`)}, ${did(sql`(a * 31 + j * 977 + 1) % ${lit(AUTHORS)}`)},
        timestamptz '2025-01-01' + (a * 100 + j) * interval '1 second'
      from generate_series(0, ${lit(AUTHORS - 1)}) a, generate_series(0, ${lit(FOLLOWS_PER_AUTHOR - 1)}) j
    `.execute(db)
    const stride = Math.max(1, Math.floor(AUTHORS / FOLLOWS))
    await sql`
      insert into follow (uri, cid, author_did, subject_did, created_at)
      select 'at://' || ${VIEWER} || '/app.bsky.graph.follow/' || lpad(to_hex(j), 13, 'z'),
        'bafyreiviewerfollow' || md5(j::text), ${VIEWER}, ${did(sql`j * ${lit(stride)}`)},
        timestamptz '2025-06-01' + j * interval '1 minute'
      from generate_series(0, ${lit(FOLLOWS - 1)}) j
    `.execute(db)
  })

  await timed('aggregates, likes', async () => {
    await sql`
      insert into post_agg (uri, reply_count, repost_count, like_count, quote_count)
      select uri, 1, 1, (n % 50)::int, 0 from (
        select n, 'at://' || ${did(sql`n % ${lit(AUTHORS)}`)} || '/app.bsky.feed.post/' || lpad(to_hex(n), 13, 'z') as uri
        from generate_series(0, ${lit(POSTS - 1)}, 10) n
      ) p
    `.execute(db)
    await sql`
      insert into actor_agg (did, followers_count, follows_count, posts_count)
      select ${did(sql`i`)}, ${lit(FOLLOWS_PER_AUTHOR)}, ${lit(FOLLOWS_PER_AUTHOR)}, ${lit(Math.ceil(POSTS / AUTHORS))}
      from generate_series(0, ${lit(AUTHORS - 1)}) i
    `.execute(db)
    // The viewer liked about one in 16 posts of the accounts they follow (viewer state hydration has work to do).
    await sql`
      insert into "like" (uri, cid, author_did, subject_uri, subject_cid, created_at)
      select 'at://' || ${VIEWER} || '/app.bsky.feed.like/' || lpad(to_hex(row_number() over ()), 13, 'z'),
        'bafyreilike' || md5(p.uri), ${VIEWER}, p.uri, p.cid, p.created_at
      from post p join follow f on f.subject_did = p.author_did and f.author_did = ${VIEWER}
      where p.cid like '%0'
    `.execute(db)
  })

  await timed('feed_item', async () => {
    await sql`
      insert into feed_item (uri, cid, type, post_uri, originator_did, sort_at)
      select uri, cid, 'post', uri, author_did, sort_at from post
    `.execute(db)
    await sql`
      insert into feed_item (uri, cid, type, post_uri, originator_did, sort_at)
      select uri, cid, 'repost', subject_uri, author_did, sort_at from repost
    `.execute(db)
  })

  await timed('indexes', async () => {
    for (const { ddl } of [...pkeys, ...indexes]) await sql.raw(ddl).execute(db)
  })
  await timed('vacuum analyze', async () => {
    await sql`vacuum analyze`.execute(db)
  })
  for (const setting of ['fsync', 'synchronous_commit', 'full_page_writes']) {
    await sql.raw(`alter system reset ${setting}`).execute(db)
  }
  await sql`select pg_reload_conf()`.execute(db)
}

/**
 * Posts from..to: post n is by author n % AUTHORS, at NEWEST - n * step; every 10th replies to the same author's
 * post one round earlier, every 20th carries an image.
 */
async function insertPosts(db: Db, from: number, to: number): Promise<void> {
  await sql`
      insert into post (uri, cid, author_did, rkey, text, record, reply_root, reply_root_cid, reply_parent,
        reply_parent_cid, embed_type, langs, created_at, indexed_at, sort_at)
      select p.uri, p.cid, p.author, p.rkey, p.text,
        jsonb_build_object('$type', 'app.bsky.feed.post', 'text', p.text, 'createdAt', p.ts_text, 'langs', '["en"]'::jsonb)
          || case when p.parent is null then '{}'::jsonb else jsonb_build_object('reply', jsonb_build_object(
               'root', jsonb_build_object('uri', p.parent, 'cid', p.parent_cid),
               'parent', jsonb_build_object('uri', p.parent, 'cid', p.parent_cid))) end
          || case when p.n % 20 = 0 then jsonb_build_object('embed', jsonb_build_object(
               '$type', 'app.bsky.embed.images', 'images', jsonb_build_array(jsonb_build_object('alt', 'img',
               'image', jsonb_build_object('$type', 'blob', 'ref', jsonb_build_object('$link', 'bafkreiimg' || md5(p.uri)),
               'mimeType', 'image/jpeg', 'size', 1000))))) else '{}'::jsonb end,
        p.parent, p.parent_cid, p.parent, p.parent_cid,
        case when p.n % 20 = 0 then 'app.bsky.embed.images' end, array['en'], p.ts, p.ts, p.ts
      from (
        select n, ${did(sql`n % ${lit(AUTHORS)}`)} as author, lpad(to_hex(n), 13, 'z') as rkey,
          'at://' || ${did(sql`n % ${lit(AUTHORS)}`)} || '/app.bsky.feed.post/' || lpad(to_hex(n), 13, 'z') as uri,
          'bafyrei' || md5(n::text) || left(md5('c' || n), 20) as cid,
          'post number ' || n as text,
          to_timestamp(${lit(NEWEST / 1000)} - n::float8 * ${lit(SPAN_SECONDS / POSTS)}) as ts,
          to_char(to_timestamp(${lit(NEWEST / 1000)} - n::float8 * ${lit(SPAN_SECONDS / POSTS)}) at time zone 'UTC',
            'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ts_text,
          case when n % 10 = 5 and n >= ${lit(AUTHORS)}
            then 'at://' || ${did(sql`(n - ${lit(AUTHORS)}) % ${lit(AUTHORS)}`)} || '/app.bsky.feed.post/' || lpad(to_hex(n - ${lit(AUTHORS)}), 13, 'z') end as parent,
          case when n % 10 = 5 and n >= ${lit(AUTHORS)}
            then 'bafyrei' || md5((n - ${lit(AUTHORS)})::text) || left(md5('c' || (n - ${lit(AUTHORS)})), 20) end as parent_cid
        from generate_series(${lit(from)}, ${lit(to)}) n
      ) p
    `.execute(db)
  log(`  posts ${from}..${to} of ${POSTS}`)
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return Math.round(sorted[Math.max(0, index)] * 100) / 100
}

/**
 * CPU time spent so far by this process and by the database's backends serving our pool (ms), apart. Latency
 * on a shared machine swings with other work; CPU per call does not, and bounds the latency on an idle machine.
 */
async function cpuSplitMs(db: Db): Promise<{ node: number; postgres: number }> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'
  `.execute(db)
  let ticks = 0
  for (const { pid } of rows) {
    try {
      const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
      ticks += Number(fields[11]) + Number(fields[12]) // utime, stime
    } catch {
      // not on Linux, or the backend just exited
    }
  }
  const own = process.cpuUsage()
  return { node: (own.user + own.system) / 1000, postgres: (ticks * 1000) / CLOCK_TICKS }
}

/** USER_HZ: /proc reports CPU times in these ticks per second (100 on Linux). */
const CLOCK_TICKS = 100

interface Measured {
  p50: number
  p99: number
  max: number
  cpuMsPerCall: number
  nodeMsPerCall: number
  postgresMsPerCall: number
}

async function measure(
  db: Db,
  label: string,
  calls: number,
  fn: (i: number) => Promise<unknown>,
): Promise<Measured> {
  for (let i = 0; i < Math.min(30, calls); i++) await fn(i) // warm caches and the JIT
  const times: number[] = []
  const cpuBefore = await cpuSplitMs(db)
  for (let i = 0; i < calls; i++) {
    const start = performance.now()
    await fn(i)
    times.push(performance.now() - start)
  }
  const cpuAfter = await cpuSplitMs(db)
  const perCall = (ms: number) => Math.round((ms / calls) * 100) / 100
  const nodeMsPerCall = perCall(cpuAfter.node - cpuBefore.node)
  const postgresMsPerCall = perCall(cpuAfter.postgres - cpuBefore.postgres)
  const cpuMsPerCall = Math.round((nodeMsPerCall + postgresMsPerCall) * 100) / 100
  times.sort((a, b) => a - b)
  const result = {
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: percentile(times, 100),
    cpuMsPerCall,
    nodeMsPerCall,
    postgresMsPerCall,
  }
  log(
    `${label}: p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms, ` +
      `CPU ${cpuMsPerCall} ms per call (node ${nodeMsPerCall}, Postgres ${postgresMsPerCall}; ${calls} calls)`,
  )
  return result
}

/** The reference data plane's getTimeline: followed accounts' feed items merged with the viewer's own (≤ 10). */
async function referenceTimeline(db: Db, viewer: string, cursor: { time: Date; cid: string } | undefined) {
  const after = cursor
    ? sql`and (fi.sort_at, fi.cid) < (${cursor.time.toISOString()}::timestamptz, ${cursor.cid})`
    : sql``
  const [follows, own] = await Promise.all([
    sql<{ uri: string; sortAt: Date; cid: string }>`
      select fi.* from feed_item fi join follow f on f.subject_did = fi.originator_did
      where f.author_did = ${viewer} ${after}
      order by fi.sort_at desc, fi.cid desc limit ${LIMIT}
    `.execute(db),
    sql<{ uri: string; sortAt: Date; cid: string }>`
      select fi.* from feed_item fi where fi.originator_did = ${viewer} ${after}
      order by fi.sort_at desc, fi.cid desc limit ${Math.min(LIMIT, 10)}
    `.execute(db),
  ])
  return [...follows.rows, ...own.rows]
    .sort((a, b) => b.sortAt.getTime() - a.sortAt.getTime() || (a.cid > b.cid ? -1 : 1))
    .slice(0, LIMIT)
}

/**
 * The one-statement page as Postgres runs it: its plan with buffers (how many index probes), and whether the
 * named prepared statement settled on a generic plan (planned once) or is planned on every call.
 */
async function explainTimelineStatement(database: Database, key: { time: Date; cid: string }) {
  const { sql: text, parameters } = hydratedTimelineQuery(VIEWER, key, LIMIT).compile(database.db)
  const client = await database.pool.connect()
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(
      `explain (analyze, buffers) ${text}`,
      parameters as unknown[],
    )
    log(`one-statement page plan (deep page):\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`)
    for (let i = 0; i < 12; i++) {
      await client.query({ name: 'bench_explain', text, values: parameters as unknown[] })
    }
    const { rows: cache } = await client.query<{ generic_plans: string; custom_plans: string }>(
      `select generic_plans, custom_plans from pg_prepared_statements where name = 'bench_explain'`,
    )
    log(`prepared statement after 12 calls: ${JSON.stringify(cache[0])}`)
  } finally {
    client.release()
  }
}

async function main() {
  const keep = process.env.BENCH_DATA_DIR
  const dataDir = keep ?? (await mkdtemp(path.join(os.tmpdir(), 'sundial-bench-timeline-')))
  const clusterDir = path.join(dataDir, 'cluster')
  const pg = await startEmbeddedPostgres({ dataDir: clusterDir, port: await freePort() })
  // As the services connect to an embedded cluster: through its Unix socket (BENCH_TCP=1: loopback TCP).
  const url = process.env.BENCH_TCP === '1' ? pg.url : (pg.socketUrl ?? pg.url)
  log(`connecting through ${url === pg.url ? 'TCP' : 'the Unix socket'}`)
  const database = createDatabase({ url, poolSize: 10, name: 'bench-timeline' })
  const { db } = database
  try {
    // A kept cluster is reused only if a previous run finished loading it; otherwise it is loaded afresh.
    const { rows: marker } = await sql<{ loaded: string | null }>`
      select to_regclass('bench_loaded')::text as loaded
    `.execute(db)
    if (marker[0].loaded) {
      log(`reusing the loaded cluster in ${dataDir}`)
      await migrateToLatest(db) // migrations added since it was loaded
    } else {
      await sql`drop schema public cascade`.execute(db)
      await sql`create schema public`.execute(db)
      await migrateToLatest(db)
      await timed('load', () => load(db))
      await sql`create table bench_loaded (posts bigint)`.execute(db)
    }
    // As the embedded cluster runs it (its command line, e.g. shared_buffers, overrides ALTER SYSTEM).
    const { rows: settings } = await sql<{ sharedBuffers: string }>`
      select current_setting('shared_buffers') as shared_buffers
    `.execute(db)
    log(`shared_buffers ${settings[0].sharedBuffers}`)
    const { rows: counts } = await sql<{ posts: string; follows: string }>`
      select (select count(*) from post) as posts,
        (select count(*) from follow where author_did = ${VIEWER}) as follows
    `.execute(db)
    const posts = Number(counts[0].posts)
    const follows = Number(counts[0].follows)
    // Every run materialises the viewer's timeline afresh, so registration is measured on a reused cluster too.
    await sql`delete from local_user where did = ${VIEWER}`.execute(db)
    await sql`truncate timeline_item`.execute(db)
    await sql`checkpoint`.execute(db)
    const registerStart = performance.now()
    const registration = await registerLocalUser(db, VIEWER)
    const registerMs = Math.round(performance.now() - registerStart)
    log(`materialise the viewer timeline (registerLocalUser): ${(registerMs / 1000).toFixed(2)} s`)
    if (!registration.created) throw new Error('the viewer was already a local user')
    await sql`vacuum analyze timeline_item`.execute(db)
    const { rows: itemRows } = await sql<{ n: string }>`
      select count(*) as n from timeline_item where viewer_did = ${VIEWER}
    `.execute(db)
    const items = Number(itemRows[0].n)
    log(`timeline: ${items} items for ${follows} follows over ${posts} posts`)

    const appView = await AppView.create(
      {
        serviceDid: 'did:web:bench.invalid',
        publicUrl: 'http://bench.invalid',
        schedulerUrl: 'http://bench.invalid',
        port: 0,
        plcUrl: 'http://plc.invalid',
        db: { dataDir, embeddedPort: 0, poolSize: 10 },
        validateResponses: false,
        logLevel: 'warn',
      },
      { database },
    )
    const ctx = appView.ctx

    // Deep-page cursors at random depths of the timeline (fixed seed).
    let seed = 42
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const cursors: string[] = []
    const otherCursors: string[] = [] // for the two-statement comparison, so it does not reread warm pages
    for (let i = 0; i < 2 * CALLS; i++) {
      const offset = Math.floor(random() * Math.max(1, items - LIMIT))
      const { rows } = await sql<{ sortAt: Date; cid: string }>`
        select sort_at, cid from timeline_item where viewer_did = ${VIEWER}
        order by sort_at desc, cid desc offset ${offset} limit 1
      `.execute(db)
      if (rows[0])
        (i < CALLS ? cursors : otherCursors).push(encodeTimeCid({ time: rows[0].sortAt, cid: rows[0].cid }))
    }
    const keyOf = (cursor: string) => {
      const [ms, cid] = cursor.split('__')
      return { time: new Date(Number(ms)), cid }
    }

    const first = await measure(db, 'sundial getTimeline, first page', CALLS, () =>
      getTimeline(ctx, { viewer: VIEWER, limit: LIMIT }),
    )
    const deep = await measure(db, 'sundial getTimeline, deep pages', CALLS, (i) =>
      getTimeline(ctx, { viewer: VIEWER, limit: LIMIT, cursor: cursors[i % cursors.length] }),
    )
    // Deep pages as two round trips (skeleton, then hydration of its items), for comparison: other random
    // depths, equally cold.
    const twoStep = (cursor: string | undefined) => async () => {
      const rows = await getTimelinePage(ctx.db, VIEWER, cursor ? keyOf(cursor) : undefined, LIMIT)
      const state = await ctx.hydrator.hydrateFeedItems(rows, VIEWER)
      return rows.map((row) => ctx.views.feedViewPost(row, state))
    }
    const twoStepDeep = await measure(
      db,
      'skeleton then hydration (two statements), deep pages',
      CALLS,
      (i) => twoStep(otherCursors[i % otherCursors.length])(),
    )
    const page = await getTimeline(ctx, { viewer: VIEWER, limit: LIMIT })
    if (page.feed.length !== LIMIT)
      throw new Error(`first page has ${page.feed.length} items, expected ${LIMIT}`)
    const skeleton = await measure(db, 'sundial skeleton only (timeline_item range scan)', CALLS, (i) =>
      getTimelinePage(db, VIEWER, i % 2 ? keyOf(cursors[i % cursors.length]) : undefined, LIMIT),
    )
    const refFirst = await measure(db, 'reference query shape, first page', REF_CALLS, () =>
      referenceTimeline(db, VIEWER, undefined),
    )
    const refDeep = await measure(db, 'reference query shape, deep pages', REF_CALLS, (i) =>
      referenceTimeline(db, VIEWER, keyOf(cursors[i % cursors.length])),
    )
    await explainTimelineStatement(database, keyOf(cursors[0])).catch((err: unknown) =>
      log(`explain failed: ${String(err)}`),
    )
    const { rows: plan } = await sql<{ 'QUERY PLAN': string }>`
      explain (analyze, buffers) select ti.* from timeline_item ti join post p on p.uri = ti.post_uri
      where ti.viewer_did = ${VIEWER} order by ti.sort_at desc, ti.cid desc limit ${LIMIT}
    `.execute(db)
    log(`timeline plan:\n${plan.map((r) => r['QUERY PLAN']).join('\n')}`)
    await appView.destroy()

    const all = [first, deep]
    const summary = {
      posts,
      follows,
      timelineItems: items,
      registerLocalUserMs: registerMs,
      firstPage: first,
      deepPages: deep,
      twoStepDeepPages: twoStepDeep,
      skeleton,
      refFirstPage: refFirst,
      refDeepPages: refDeep,
    }
    log(JSON.stringify({ ...summary, loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10) }))
    const combined = (key: 'p50' | 'p99') => Math.max(...all.map((r) => r[key]))
    const refCombined = (key: 'p50' | 'p99') => Math.max(refFirst[key], refDeep[key])
    process.stdout.write(
      `${JSON.stringify({
        posts,
        follows,
        p50Ms: combined('p50'),
        p99Ms: combined('p99'),
        refP50Ms: refCombined('p50'),
        refP99Ms: refCombined('p99'),
      })}\n`,
    )
  } finally {
    await database.close()
    await pg.stop()
    if (!keep) await rm(dataDir, { recursive: true, force: true })
  }
}

await main()
