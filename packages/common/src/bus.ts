import { EventEmitter } from 'node:events'
import { Redis } from 'ioredis'

/**
 * What crosses processes: wake-up signals (e.g. "drafts changed") and small live numbers for the dashboard.
 * With REDIS_URL it is Redis pub/sub and hashes; without, it stays in this process.
 */
export interface Bus {
  publish(channel: string, message: string): Promise<void>
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>
  /** Sets fields of a named hash (live numbers), with a TTL so a dead process's numbers fade. */
  setStats(key: string, fields: Record<string, string | number>, ttlSeconds?: number): Promise<void>
  getStats(key: string): Promise<Record<string, string>>
  /** A short-lived cache entry. */
  cacheSet(key: string, value: string, ttlSeconds: number): Promise<void>
  cacheGet(key: string): Promise<string | null>
  cacheDelete(key: string): Promise<void>
  close(): Promise<void>
}

export function createBus(redisUrl: string | undefined, prefix = 'sundial:'): Bus {
  return redisUrl ? new RedisBus(redisUrl, prefix) : new LocalBus()
}

export class LocalBus implements Bus {
  private emitter = new EventEmitter().setMaxListeners(0)
  private stats = new Map<string, { fields: Record<string, string>; expiresAt: number }>()
  private cache = new Map<string, { value: string; expiresAt: number }>()

  async publish(channel: string, message: string): Promise<void> {
    this.emitter.emit(channel, message)
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    this.emitter.on(channel, handler)
    return async () => {
      this.emitter.off(channel, handler)
    }
  }

  async setStats(key: string, fields: Record<string, string | number>, ttlSeconds = 60): Promise<void> {
    const existing = this.stats.get(key)?.fields ?? {}
    const merged = { ...existing }
    for (const [k, v] of Object.entries(fields)) merged[k] = String(v)
    this.stats.set(key, { fields: merged, expiresAt: Date.now() + ttlSeconds * 1000 })
  }

  async getStats(key: string): Promise<Record<string, string>> {
    const entry = this.stats.get(key)
    if (!entry || entry.expiresAt < Date.now()) return {}
    return { ...entry.fields }
  }

  async cacheSet(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.cache.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 })
    if (this.cache.size > 10_000) {
      const oldest = this.cache.keys().next().value
      if (oldest !== undefined) this.cache.delete(oldest)
    }
  }

  async cacheGet(key: string): Promise<string | null> {
    const entry = this.cache.get(key)
    if (!entry) return null
    if (entry.expiresAt < Date.now()) {
      this.cache.delete(key)
      return null
    }
    return entry.value
  }

  async cacheDelete(key: string): Promise<void> {
    this.cache.delete(key)
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners()
  }
}

export class RedisBus implements Bus {
  private client: Redis
  private subscriber: Redis | undefined
  private handlers = new Map<string, Set<(message: string) => void>>()

  constructor(
    private url: string,
    private prefix: string,
  ) {
    this.client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 })
    this.client.on('error', () => undefined)
  }

  private async subscriberClient(): Promise<Redis> {
    if (!this.subscriber) {
      const sub = new Redis(this.url, { lazyConnect: false })
      sub.on('error', () => undefined)
      sub.on('message', (channel: string, message: string) => {
        for (const handler of this.handlers.get(channel) ?? []) handler(message)
      })
      this.subscriber = sub
    }
    return this.subscriber
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.client.publish(this.prefix + channel, message)
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    const full = this.prefix + channel
    const sub = await this.subscriberClient()
    let set = this.handlers.get(full)
    if (!set) {
      set = new Set()
      this.handlers.set(full, set)
      await sub.subscribe(full)
    }
    set.add(handler)
    return async () => {
      const current = this.handlers.get(full)
      current?.delete(handler)
      if (current && current.size === 0) {
        this.handlers.delete(full)
        await sub.unsubscribe(full)
      }
    }
  }

  async setStats(key: string, fields: Record<string, string | number>, ttlSeconds = 60): Promise<void> {
    const full = this.prefix + 'stats:' + key
    await this.client.multi().hset(full, fields).expire(full, ttlSeconds).exec()
  }

  async getStats(key: string): Promise<Record<string, string>> {
    return this.client.hgetall(this.prefix + 'stats:' + key)
  }

  async cacheSet(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.client.set(this.prefix + 'cache:' + key, value, 'EX', ttlSeconds)
  }

  async cacheGet(key: string): Promise<string | null> {
    return this.client.get(this.prefix + 'cache:' + key)
  }

  async cacheDelete(key: string): Promise<void> {
    await this.client.del(this.prefix + 'cache:' + key)
  }

  async close(): Promise<void> {
    this.handlers.clear()
    await Promise.allSettled([this.client.quit(), this.subscriber?.quit()])
  }
}
