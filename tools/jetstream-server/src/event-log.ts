/** One frame in the log, encoded once and shared by every subscriber. */
export interface LogEntry {
  /** Position in the log; consecutive, never reused. */
  seq: number
  /** Cursor value. Non-decreasing along the log; strictly increasing across replayable entries. */
  timeUs: number
  /** False for frames only meant for the subscribers connected when they were emitted. */
  replayable: boolean
  did: string | null
  /** Set for commit events only: identity/account events and raw frames bypass the collection filter. */
  collection: string | null
  /** The UTF-8 frame is `bytes[offset, offset + length)`: frames are packed into shared slabs. */
  bytes: Buffer
  offset: number
  length: number
}

export type LogEntryInput = Pick<LogEntry, 'timeUs' | 'replayable' | 'did' | 'collection'>

export interface RetentionOptions {
  /** Most entries kept for replay (default 1,000,000). */
  maxEvents?: number
  /** Entries older than this, measured back from the newest entry's time_us, are dropped. Unlimited by default. */
  maxAgeMs?: number
}

const COMPACT_THRESHOLD = 65_536
const SLAB_BYTES = 1024 * 1024

/**
 * The retained window of emitted frames, in order. Subscribers read it by `seq`; a cursor (time_us) maps to
 * the first entry at or after it.
 */
export class EventLog {
  private entries: LogEntry[] = []
  /** Index in `entries` of the oldest retained entry (entries before it are evicted, awaiting compaction). */
  private head = 0
  private firstSeqValue = 0
  private readonly maxEvents: number
  private readonly maxAgeUs: number
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
  private slabUsed = 0

  constructor(retention: RetentionOptions = {}) {
    this.maxEvents = retention.maxEvents ?? 1_000_000
    this.maxAgeUs = retention.maxAgeMs === undefined ? Number.POSITIVE_INFINITY : retention.maxAgeMs * 1000
    if (!(this.maxEvents >= 1)) throw new RangeError('retention.maxEvents must be at least 1')
  }

  /** Seq of the oldest retained entry. */
  get firstSeq(): number {
    return this.firstSeqValue
  }

  /** Seq the next appended entry will get. */
  get nextSeq(): number {
    return this.firstSeqValue + this.size
  }

  get size(): number {
    return this.entries.length - this.head
  }

  /** time_us of the newest entry, or 0 when nothing was ever appended. */
  get lastTimeUs(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].timeUs : 0
  }

  append(input: LogEntryInput, frame: string): LogEntry {
    const entry: LogEntry = { seq: this.nextSeq, ...input, ...this.store(frame) }
    this.entries.push(entry)
    this.evict()
    return entry
  }

  /** The frame's bytes as a view (no copy). */
  static frame(entry: LogEntry): Buffer {
    return entry.bytes.subarray(entry.offset, entry.offset + entry.length)
  }

  /**
   * Packs frames into 1 MiB slabs: one small Buffer per frame would cost more in object overhead than the
   * frame itself. A slab is freed once every entry in it was evicted.
   */
  private store(frame: string): Pick<LogEntry, 'bytes' | 'offset' | 'length'> {
    const length = Buffer.byteLength(frame, 'utf8')
    if (length > SLAB_BYTES / 4) return { bytes: Buffer.from(frame, 'utf8'), offset: 0, length }
    if (this.slabUsed + length > SLAB_BYTES) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
      this.slabUsed = 0
    }
    const offset = this.slabUsed
    this.slab.write(frame, offset, length, 'utf8')
    this.slabUsed += length
    return { bytes: this.slab, offset, length }
  }

  /** The entry at `seq`, or undefined when it was evicted or does not exist yet. */
  get(seq: number): LogEntry | undefined {
    if (seq < this.firstSeqValue) return undefined
    return this.entries[this.head + (seq - this.firstSeqValue)]
  }

  /** Seq of the first retained entry with `timeUs >= cursorUs` (== nextSeq when every entry is older). */
  seqForCursor(cursorUs: number): number {
    let lo = this.head
    let hi = this.entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.entries[mid].timeUs < cursorUs) lo = mid + 1
      else hi = mid
    }
    return this.firstSeqValue + (lo - this.head)
  }

  private evict(): void {
    const newest = this.entries[this.entries.length - 1]
    while (this.size > this.maxEvents || this.entries[this.head].timeUs < newest.timeUs - this.maxAgeUs) {
      this.dropOldest()
    }
    if (this.head >= COMPACT_THRESHOLD && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.head = 0
    }
  }

  private dropOldest(): void {
    this.entries[this.head] = undefined as unknown as LogEntry
    this.head++
    this.firstSeqValue++
  }
}
