import { afterEach, describe, expect, it, vi } from 'vitest'
import { WakeTimer } from './wake-timer.ts'

describe('WakeTimer', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('wakes once at the earliest moment asked for, and never after stop', () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const wakes: number[] = []
    const timer = new WakeTimer(() => wakes.push(Date.now()))
    timer.wakeAt(1_000_500)
    timer.wakeAt(1_000_900) // later: ignored while the earlier one is pending
    timer.wakeAt(1_000_200) // earlier: moves the wake-up
    vi.advanceTimersByTime(1_000)
    expect(wakes).toEqual([1_000_200])

    // After a wake-up, any moment can be set again; a moment in the past wakes at once.
    timer.wakeAt(Date.now() - 10)
    vi.advanceTimersByTime(0)
    expect(wakes).toHaveLength(2)

    timer.wakeAt(Date.now() + 100)
    timer.stop()
    timer.wakeAt(Date.now() + 50)
    vi.advanceTimersByTime(1_000)
    expect(wakes).toHaveLength(2)
  })
})
