import { readConfig } from '@sundial/firehose'
import type { FirehoseConfig } from '@sundial/firehose'
import { registerLocalUser } from '@sundial/common'
import type { Db } from '@sundial/common'
import { syntheticEvents } from '@sundial/jetstream-server'
import type { SyntheticOptions } from '@sundial/jetstream-server'
import { decodeEvent } from '../../services/firehose/src/ingest/decode.ts'
import type { IndexEvent } from '../../services/firehose/src/ingest/events.ts'

/** Firehose configuration for tests: a replay from the start of the server's log, quiet logs, a free port. */
export function testConfig(opts: {
  jetstreamUrl: string
  databaseUrl: string
  env?: Record<string, string>
}): FirehoseConfig {
  return readConfig({
    DATABASE_URL: opts.databaseUrl,
    JETSTREAM_URL: opts.jetstreamUrl,
    FIREHOSE_START_CURSOR: '1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    // Backfill (part of this service) reaches out to PDSes; these tests are about the stream alone.
    BACKFILL_ENABLED: 'false',
    ...opts.env,
  })
}

/** Polls `check` until it holds; fails with `message` after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  message: string,
  timeoutMs = 60_000,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** The stored firehose cursor (time_us), if any. */
export async function storedCursor(db: Db): Promise<number | undefined> {
  const row = await db.selectFrom('cursor').select('timeUs').where('name', '=', 'firehose').executeTakeFirst()
  return row ? Number(row.timeUs) : undefined
}

/** Every writer lane's cursor row (`firehose/lane-N`), by name. */
export async function laneCursors(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('cursor')
    .select(['name', 'timeUs'])
    .where('name', 'like', 'firehose/lane-%')
    .orderBy('name')
    .execute()
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.timeUs)]))
}

/** A counter's value per label value, from a prom-client registry's text output. */
export function counterValues(metricsText: string, name: string, label: string): Map<string, number> {
  const out = new Map<string, number>()
  const pattern = new RegExp(`^${name}\\{[^}]*${label}="([^"]*)"[^}]*\\} (\\S+)$`, 'gm')
  for (const m of metricsText.matchAll(pattern)) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]))
  return out
}

/**
 * A synthetic stream decoded as the firehose decodes it (malformed frames dropped), with its busiest authors made
 * local users, so follows and posts run the timeline paths when the events are applied.
 */
export async function decodedStreamWithLocalUsers(
  db: Db,
  stream: SyntheticOptions,
  localUsers: number,
): Promise<IndexEvent[]> {
  const events: IndexEvent[] = []
  for (const item of syntheticEvents(stream)) {
    if (item.kind === 'malformed') continue
    const decoded = decodeEvent(item, 0, { maxRecordBytes: 1 << 20 })
    if (!('ok' in decoded)) events.push(decoded)
  }
  const authors = new Map<string, number>()
  for (const ev of events) if (ev.kind === 'write') authors.set(ev.did, (authors.get(ev.did) ?? 0) + 1)
  for (const [did] of [...authors].sort((a, b) => b[1] - a[1]).slice(0, localUsers)) {
    await registerLocalUser(db, did)
  }
  return events
}
