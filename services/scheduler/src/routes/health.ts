import express from 'express'
import type { Router } from 'express'
import { sql } from 'kysely'
import type { Registry } from 'prom-client'
import type { AppContext } from '../context.ts'

export function healthRoutes(ctx: AppContext, registry: Registry): Router {
  const router = express.Router()
  router.get('/xrpc/_health', async (_req, res) => {
    try {
      await sql`select 1`.execute(ctx.db)
      res.json({
        service: 'scheduler',
        status: 'ok',
        jetstream: ctx.confirmer.connected ? 'connected' : 'disconnected',
        inFlight: ctx.publisher.inFlightCount,
        awaitingConfirmation: ctx.confirmer.awaitingCount,
      })
    } catch {
      res.status(503).json({ service: 'scheduler', status: 'unavailable', error: 'database unreachable' })
    }
  })
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics())
  })
  return router
}
