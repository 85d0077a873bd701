import { describe, expect, it } from 'vitest'
import { GapDetector } from './gap.ts'
import { backoffMs } from './worker.ts'

const HOUR_US = 3_600_000_000

describe('GapDetector', () => {
  it('flags a stored cursor older than the replay window', () => {
    const gaps = new GapDetector(24 * HOUR_US)
    const now = Date.now() * 1000
    expect(gaps.staleAtStart(undefined, now)).toBe(false)
    expect(gaps.staleAtStart(now - 23 * HOUR_US, now)).toBe(false)
    expect(gaps.staleAtStart(now - 25 * HOUR_US, now)).toBe(true)
  })

  it('flags a jump in the stream longer than the window, once', () => {
    const gaps = new GapDetector(HOUR_US)
    expect(gaps.jumped(1_000)).toBe(false)
    expect(gaps.jumped(1_000 + HOUR_US / 2)).toBe(false)
    expect(gaps.jumped(1_000 + 3 * HOUR_US)).toBe(true)
    expect(gaps.jumped(1_000 + 3 * HOUR_US + 5)).toBe(false)
    // An older batch (a rewound replay) is no jump.
    expect(gaps.jumped(2_000)).toBe(false)
    expect(gaps.lastSeen).toBe(1_000 + 3 * HOUR_US + 5)
  })
})

describe('backoffMs', () => {
  it('doubles from the base, capped, with jitter', () => {
    for (let i = 0; i < 50; i++) {
      expect(backoffMs(1, 1000, 60_000)).toBeGreaterThanOrEqual(800)
      expect(backoffMs(1, 1000, 60_000)).toBeLessThanOrEqual(1200)
      expect(backoffMs(3, 1000, 60_000)).toBeGreaterThanOrEqual(3200)
      expect(backoffMs(20, 1000, 60_000)).toBeLessThanOrEqual(72_000)
    }
  })
})
