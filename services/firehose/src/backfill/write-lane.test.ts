import { describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import { WriteLane } from './write-lane.ts'

class DataError extends Error {}

/** A lane over numbers whose runs take a moment, note what they were given, and refuse the number 13. */
function lane(maxSize: number) {
  const runs: number[][] = []
  const writes = new WriteLane<number, string>({
    maxSize,
    sizeOf: (n) => n,
    run: async (units) => {
      runs.push(units)
      await sleep(10)
      if (units.includes(13)) throw new DataError('13 refused')
      return units.map((n) => `done ${n}`)
    },
    separable: (err) => err instanceof DataError,
  })
  return { runs, writes }
}

describe('WriteLane', () => {
  it('runs one at a time, joining what queued meanwhile up to the size limit', async () => {
    const { runs, writes } = lane(10)
    const signal = new AbortController().signal
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => writes.submit(n, signal)))
    expect(results).toEqual([1, 2, 3, 4, 5, 6].map((n) => `done ${n}`))
    // The first unit starts alone; the rest queued behind it and run together as far as the limit allows.
    expect(runs).toEqual([[1], [2, 3, 4], [5], [6]])
  })

  it('retries a refused run unit by unit, so only the refused unit fails', async () => {
    const { runs, writes } = lane(100)
    const signal = new AbortController().signal
    const first = writes.submit(1, signal)
    const outcomes = await Promise.allSettled([first, ...[2, 13, 4].map((n) => writes.submit(n, signal))])
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      'done 1',
      'done 2',
      '13 refused',
      'done 4',
    ])
    expect(runs).toEqual([[1], [2, 13, 4], [2], [13], [4]])
  })

  it('withdraws a queued unit whose signal aborts, and fails every unit of a run on other errors', async () => {
    const { runs, writes } = lane(100)
    const abort = new AbortController()
    const signal = new AbortController().signal
    const first = writes.submit(1, signal)
    const withdrawn = writes.submit(2, abort.signal)
    const kept = writes.submit(3, signal)
    abort.abort(new Error('stopped'))
    await expect(withdrawn).rejects.toThrow('stopped')
    await expect(first).resolves.toBe('done 1')
    await expect(kept).resolves.toBe('done 3')
    expect(runs).toEqual([[1], [3]])

    const failing = new WriteLane<number, number>({
      maxSize: 100,
      sizeOf: () => 1,
      run: async () => {
        await sleep(5)
        throw new Error('connection lost')
      },
      separable: () => false,
    })
    const all = await Promise.allSettled([1, 2, 3].map((n) => failing.submit(n, signal)))
    expect(all.every((o) => o.status === 'rejected')).toBe(true)
  })
})
