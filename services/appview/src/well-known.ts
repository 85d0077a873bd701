import express from 'express'
import type { AppViewConfig } from './config.ts'

/**
 * `/.well-known/did.json` for a did:web service DID: where PDSes send app.bsky reads (`#bsky_appview`) and where
 * scheduler clients go (`#sundial_scheduler`).
 */
export function wellKnownRouter(cfg: AppViewConfig): express.Router {
  const router = express.Router()
  router.get('/.well-known/did.json', (_req, res) => {
    if (!cfg.serviceDid.startsWith('did:web:')) {
      res.status(404).json({ error: 'NotFound', message: 'this service DID is not a did:web' })
      return
    }
    res.json({
      '@context': ['https://www.w3.org/ns/did/v1'],
      id: cfg.serviceDid,
      service: [
        { id: '#bsky_appview', type: 'BskyAppView', serviceEndpoint: cfg.publicUrl },
        { id: '#sundial_scheduler', type: 'SundialScheduler', serviceEndpoint: cfg.schedulerUrl },
      ],
    })
  })
  return router
}
