import { describe, expect, it } from 'vitest'
import { Ring } from './ring.ts'

describe('Ring', () => {
  it('keeps the newest items, oldest first', () => {
    const ring = new Ring<number>(3)
    expect(ring.toArray()).toEqual([])
    expect(ring.last()).toBeUndefined()
    for (let i = 1; i <= 5; i++) ring.push(i)
    expect(ring.toArray()).toEqual([3, 4, 5])
    expect(ring.last()).toBe(5)
    expect(ring.length).toBe(3)
  })
})
