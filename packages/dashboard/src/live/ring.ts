/** A fixed-capacity ring of samples, oldest dropped first: the dashboard keeps one hour and never more. */
export class Ring<T> {
  private items: (T | undefined)[]
  private next = 0
  private size = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error('ring capacity must be a positive integer')
    this.items = new Array<T | undefined>(capacity)
  }

  push(item: T): void {
    this.items[this.next] = item
    this.next = (this.next + 1) % this.capacity
    this.size = Math.min(this.size + 1, this.capacity)
  }

  get length(): number {
    return this.size
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = []
    const start = (this.next - this.size + this.capacity) % this.capacity
    for (let i = 0; i < this.size; i++) out.push(this.items[(start + i) % this.capacity] as T)
    return out
  }

  last(): T | undefined {
    if (this.size === 0) return undefined
    return this.items[(this.next - 1 + this.capacity) % this.capacity]
  }
}
