import { describe, expect, it } from 'vitest'
import { EventQueue } from './event-queue.ts'

const skip = (timeUs: number) => ({ kind: 'skip' as const, timeUs })

describe('EventQueue', () => {
  it('reports full at either bound and drained below half of both, counting the batch in flight', () => {
    const queue = new EventQueue({ maxEvents: 10, maxBytes: 1000 })
    for (let i = 0; i < 9; i++) queue.push(skip(i), 10)
    expect(queue.full).toBe(false)
    queue.push(skip(9), 10)
    expect(queue.full).toBe(true)
    const batch = queue.take(8)
    expect(batch.map((e) => e.timeUs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    // Still held until committed.
    expect(queue.depth).toBe(10)
    expect(queue.drained).toBe(false)
    queue.settle()
    expect(queue.depth).toBe(2)
    expect(queue.drained).toBe(true)
    queue.push(skip(10), 990)
    expect(queue.full).toBe(true)
  })

  it('waits for a full batch, or for the oldest event to have waited long enough, or for an abort', async () => {
    const queue = new EventQueue({ maxEvents: 100, maxBytes: 1 << 20 })
    const never = new AbortController().signal
    let started = Date.now()
    const full = queue.waitForBatch(3, 10_000, never)
    queue.push(skip(1), 1)
    queue.push(skip(2), 1)
    queue.push(skip(3), 1)
    await full
    expect(Date.now() - started).toBeLessThan(1000)
    queue.take(3)
    queue.settle()

    started = Date.now()
    const trickle = queue.waitForBatch(100, 150, never)
    queue.push(skip(4), 1)
    await trickle
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)

    const abort = new AbortController()
    queue.take(1)
    const idle = queue.waitForBatch(100, 50, abort.signal)
    setTimeout(() => abort.abort(), 20)
    await idle
  })
})
