import express from 'express'
import type { Router } from 'express'
import type { AppContext } from '../context.ts'
import { fireTrigger } from '../db/drafts.ts'
import { hashTriggerSecret } from '../api/proxy-write.ts'

/**
 * POST /triggers/:secret publishes the draft the one-time URL was issued for. The URL is the credential (only
 * its hash is stored); a second call answers 409 TriggerAlreadyFired.
 */
export function triggerRoutes(ctx: AppContext): Router {
  const router = express.Router()
  router.post('/triggers/:secret', async (req, res) => {
    const secret = req.params.secret
    if (!/^[A-Za-z0-9_-]{43}$/.test(secret)) {
      res.status(404).json({ error: 'TriggerNotFound', message: 'unknown trigger' })
      return
    }
    try {
      const result = await fireTrigger(ctx.db, hashTriggerSecret(secret))
      if (result === undefined) {
        res.status(404).json({ error: 'TriggerNotFound', message: 'unknown trigger' })
      } else if (result === 'fired' || result === 'gone') {
        res.status(409).json({ error: 'TriggerAlreadyFired', message: 'this trigger was already used' })
      } else {
        res.status(202).json({ draftId: result.id, uri: result.uri, status: result.status })
      }
    } catch (err) {
      ctx.log.error({ err }, 'trigger failed')
      res.status(500).json({ error: 'InternalServerError', message: 'trigger failed' })
    }
  })
  return router
}
