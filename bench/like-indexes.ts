// What each of the like table's indexes costs an insert: the same 160,000 likes (20,000 authors; 70 % of them
// on 45,000 known posts, the rest on posts never seen) inserted in batches of 850 by the firehose's own
// `insertLikes`, each batch in a transaction with synchronous_commit off, into a fresh table for each layout, in
// a throwaway cluster with the embedded settings.
//
//   npx tsx bench/like-indexes.ts
//   BENCH_LIKES=50000 BENCH_LAYOUTS=text,hashed npx tsx bench/like-indexes.ts
//
// Layouts: `text` (the secondary indexes before migration 20261123T0800, on subject_uri and author_did),
// `hashed` (that migration's, on 64-bit hashes of them), `pk-only`, `heap-only` (no index, so a plain insert of
// the same columns without the conflict check `insertLikes` needs a unique index for).
// One JSON line per layout: wall µs per like (this process's encoding included) and WAL written; the last line
// sums them up.
import { sql } from 'kysely'
import { createDatabase } from '@sundial/common'
import type { DbTx } from '@sundial/common'
import { freePort, startTestCluster } from '@sundial/devnet'
import { insertLikes } from '../services/firehose/src/db/likes.ts'
import { column } from '../services/firehose/src/db/rows.ts'
import type { LikeRow } from '../services/firehose/src/indexers/like.ts'

const LIKES = Number(process.env.BENCH_LIKES ?? 160_000)
const BATCH = 850
const TABLE = `create table "like" (uri text primary key, cid text not null, author_did text not null,
  subject_uri text not null, subject_cid text not null, created_at timestamptz not null,
  indexed_at timestamptz not null default now(), rev text)`

const LAYOUTS: Record<string, string> = {
  text: `${TABLE};
    create index on "like" (subject_uri, created_at desc, cid desc);
    create index on "like" (author_did, subject_uri)`,
  hashed: `${TABLE};
    create index on "like" (hashtextextended(subject_uri, 0), least(created_at, indexed_at) desc, cid desc);
    create index on "like" (hashtextextended(author_did, 0), hashtextextended(subject_uri, 0))`,
  'pk-only': TABLE,
  'heap-only': TABLE.replace(' primary key', ''),
}

/** The heap-only layout has no unique index for `insertLikes`'s conflict check: the same columns, plainly. */
async function insertPlain(tx: DbTx, rows: LikeRow[]): Promise<void> {
  await sql`
    insert into "like" (uri, cid, author_did, subject_uri, subject_cid, created_at, rev)
    select * from unnest(
      ${column(rows, 'uri')}::text[], ${column(rows, 'cid')}::text[], ${column(rows, 'authorDid')}::text[],
      ${column(rows, 'subjectUri')}::text[], ${column(rows, 'subjectCid')}::text[],
      ${column(rows, 'createdAt')}::timestamptz[], ${column(rows, 'rev')}::text[]
    )
  `.execute(tx)
}

/** Deterministic stream (mulberry32), so every layout and every run inserts the same likes. */
function generate(count: number): LikeRow[] {
  let seed = 1
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const b32 = 'abcdefghijklmnopqrstuvwxyz234567'
  const text = (n: number) => Array.from({ length: n }, () => b32[Math.floor(random() * 32)]).join('')
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]
  let tid = 1_700_000_000_000_000
  const nextTid = () => (tid++).toString(32).padStart(13, '2')
  const dids = Array.from({ length: 20_000 }, () => `did:plc:${text(24)}`)
  const posts = Array.from({ length: 45_000 }, () => `at://${pick(dids)}/app.bsky.feed.post/${nextTid()}`)
  return Array.from({ length: count }, () => {
    const authorDid = pick(dids)
    return {
      uri: `at://${authorDid}/app.bsky.feed.like/${nextTid()}`,
      cid: `bafyrei${text(52)}`,
      authorDid,
      subjectUri: random() < 0.7 ? pick(posts) : `at://${pick(dids)}/app.bsky.feed.post/${nextTid()}`,
      subjectCid: `bafyrei${text(52)}`,
      createdAt: new Date(1_700_000_000_000 + Math.floor(random() * 1e9)).toISOString(),
      timeUs: 1_700_000_000_000_000 + Math.floor(random() * 1e15),
      rev: nextTid(),
    }
  })
}

async function main(): Promise<void> {
  const likes = generate(LIKES)
  const layouts = process.env.BENCH_LAYOUTS?.split(',') ?? Object.keys(LAYOUTS)
  const cluster = await startTestCluster(await freePort())
  const results: Record<string, number> = {}
  try {
    for (const layout of layouts) {
      if (!(layout in LAYOUTS)) throw new Error(`unknown layout ${layout}`)
      const { db, close } = createDatabase({ url: cluster.adminUrl })
      try {
        await sql.raw(`drop table if exists "like"; ${LAYOUTS[layout]}; checkpoint`).execute(db)
        const { rows } = await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(db)
        const insert = layout === 'heap-only' ? insertPlain : insertLikes
        const started = performance.now()
        for (let i = 0; i < likes.length; i += BATCH) {
          await db.transaction().execute(async (tx) => {
            await sql`set local synchronous_commit = off`.execute(tx)
            await insert(tx, likes.slice(i, i + BATCH))
          })
        }
        const ms = performance.now() - started
        const wal = await sql<{ bytes: string }>`
          select pg_wal_lsn_diff(pg_current_wal_lsn(), ${rows[0].lsn}::pg_lsn)::text as bytes
        `.execute(db)
        results[layout] = Math.round(((ms * 1000) / likes.length) * 10) / 10
        const line = {
          layout,
          likes: likes.length,
          usPerLike: results[layout],
          walMb: Math.round(Number(wal.rows[0].bytes) / 1e6),
        }
        process.stdout.write(JSON.stringify(line) + '\n')
      } finally {
        await close()
      }
    }
  } finally {
    await cluster.stop()
  }
  process.stdout.write(JSON.stringify({ likes: likes.length, usPerLike: results }) + '\n')
}

await main()
