import type pg from 'pg'
import type { Logger } from '../logger.ts'

type Handler = (payload: string) => void

/**
 * One pooled connection held for LISTEN. Postgres delivers NOTIFY on commit to every replica; when the
 * connection drops it is re-established with backoff and `onReconnect` runs, because notifications sent
 * meanwhile are lost and listeners must re-read state.
 */
export class PgListener {
  private client: pg.PoolClient | undefined
  private readonly handlers = new Map<string, Handler[]>()
  private readonly reconnectHandlers: Array<() => void> = []
  private closed = false
  private retryTimer: NodeJS.Timeout | undefined
  private retryDelayMs = 250

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
  ) {}

  /** Subscribes; resolves once Postgres is listening (when connected), so nothing sent afterwards is missed. */
  async on(channel: string, handler: Handler): Promise<void> {
    const list = this.handlers.get(channel)
    if (list) {
      list.push(handler)
      return
    }
    this.handlers.set(channel, [handler])
    if (this.client) await this.client.query(`LISTEN "${channel.replace(/"/g, '')}"`)
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler)
  }

  async start(): Promise<void> {
    await this.connect()
  }

  private async connect(): Promise<void> {
    const client = await this.pool.connect()
    client.on('notification', (msg) => {
      for (const handler of this.handlers.get(msg.channel) ?? []) handler(msg.payload ?? '')
    })
    client.on('error', (err) => {
      // A connection we already gave up (closed, or replaced after a drop) is none of our business.
      if (this.client !== client) return
      this.log.warn({ err }, 'LISTEN connection lost')
      this.drop(client, err)
    })
    try {
      for (const channel of this.handlers.keys()) await client.query(`LISTEN "${channel.replace(/"/g, '')}"`)
    } catch (err) {
      client.release(err as Error)
      throw err
    }
    this.client = client
    this.retryDelayMs = 250
  }

  private drop(client: pg.PoolClient, err: Error): void {
    if (this.client !== client) return
    this.client = undefined
    client.release(err)
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return
    this.retryTimer = setTimeout(async () => {
      this.retryTimer = undefined
      try {
        await this.connect()
        for (const handler of this.reconnectHandlers) handler()
      } catch (err) {
        this.log.warn({ err }, 'LISTEN reconnect failed')
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, 10_000)
        this.scheduleReconnect()
      }
    }, this.retryDelayMs)
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retryTimer)
    const client = this.client
    this.client = undefined
    if (client) {
      await client.query('UNLISTEN *').catch(() => undefined)
      // Closed rather than returned to the pool: it carries our handlers, which must not outlive us.
      client.release(true)
    }
  }
}
