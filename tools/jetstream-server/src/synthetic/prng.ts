/** A small, fast, seeded PRNG (sfc32): the same seed always yields the same sequence. */
export class Prng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    // splitmix32 spreads the seed over the four words of state.
    let s = seed >>> 0
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
    for (let i = 0; i < 12; i++) this.uint32()
  }

  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) >>> 0
    return t
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n)
  }

  /** Uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  chance(p: number): boolean {
    return this.float() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  /** Picks a key with probability proportional to its weight. */
  weighted<K extends string>(table: WeightedTable<K>): K {
    const roll = this.float() * table.total
    const { keys, cumulative } = table
    for (let i = 0; i < keys.length; i++) {
      if (roll < cumulative[i]) return keys[i]
    }
    return keys[keys.length - 1]
  }
}

export interface WeightedTable<K extends string> {
  keys: K[]
  cumulative: number[]
  total: number
}

export function weightedTable<K extends string>(weights: Readonly<Record<K, number>>): WeightedTable<K> {
  const keys = (Object.keys(weights) as K[]).filter((key) => weights[key] > 0)
  const cumulative: number[] = []
  let total = 0
  for (const key of keys) {
    total += weights[key]
    cumulative.push(total)
  }
  return { keys, cumulative, total }
}
