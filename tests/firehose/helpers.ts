import { readConfig } from '@sundial/firehose'
import type { FirehoseConfig } from '@sundial/firehose'
import type { Db } from '@sundial/common'

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
