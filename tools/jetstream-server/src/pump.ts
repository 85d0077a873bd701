import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises'
import type { JetstreamEventInput } from './events.ts'
import type { SyntheticItem } from './synthetic.ts'

/** What a stream is emitted into (a `JetstreamServer`). */
export interface EmitTarget {
  emit(event: JetstreamEventInput): number
  emitRaw(frame: string, options?: { timeUs?: number }): void
}

export interface StreamSummary {
  /** Valid events emitted. */
  events: number
  /** Malformed frames emitted (retained at their time_us, so replays include them). */
  malformed: number
  /** time_us of the first and last frame; 0 when nothing was emitted. */
  firstTimeUs: number
  lastTimeUs: number
}

export interface PlayOptions {
  /** Frames emitted between two yields to the event loop (default 1,000). */
  batchSize?: number
  /** Pace the stream at about this rate; unset means as fast as possible. */
  eventsPerSecond?: number
  /** Stops the stream early; the summary covers what was emitted. */
  signal?: AbortSignal
}

function emitItem(target: EmitTarget, item: SyntheticItem, summary: StreamSummary): void {
  if (item.kind === 'malformed') {
    target.emitRaw(item.frame, { timeUs: item.time_us })
    summary.malformed++
  } else {
    target.emit(item)
    summary.events++
  }
  if (summary.firstTimeUs === 0) summary.firstTimeUs = item.time_us
  summary.lastTimeUs = item.time_us
}

/** Emits every item at once, without yielding: for preloading a log that clients then replay by cursor. */
export function appendItems(target: EmitTarget, items: Iterable<SyntheticItem>): StreamSummary {
  const summary: StreamSummary = { events: 0, malformed: 0, firstTimeUs: 0, lastTimeUs: 0 }
  for (const item of items) emitItem(target, item, summary)
  return summary
}

/** Emits items as a live stream, in batches, yielding between them so sockets keep flowing. */
export async function playItems(
  target: EmitTarget,
  items: Iterable<SyntheticItem>,
  options: PlayOptions = {},
): Promise<StreamSummary> {
  const batchSize = options.batchSize ?? 1_000
  const summary: StreamSummary = { events: 0, malformed: 0, firstTimeUs: 0, lastTimeUs: 0 }
  const startedAt = performance.now()
  let inBatch = 0
  for (const item of items) {
    if (options.signal?.aborted) break
    emitItem(target, item, summary)
    if (++inBatch < batchSize) continue
    inBatch = 0
    if (options.eventsPerSecond) {
      const dueAt = startedAt + ((summary.events + summary.malformed) / options.eventsPerSecond) * 1000
      const wait = dueAt - performance.now()
      await (wait > 0 ? sleep(wait) : yieldToLoop())
    } else {
      await yieldToLoop()
    }
  }
  return summary
}
