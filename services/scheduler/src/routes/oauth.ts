import express from 'express'
import type { Router } from 'express'
import type { AppContext } from '../context.ts'

/**
 * OAuth for outbound writes: /oauth/authorize?handle=<handle, DID or PDS URL> redirects to the user's
 * authorisation server; /oauth/callback stores the session; the client metadata and public keys are served
 * for confidential (web) clients.
 */
export function oauthRoutes(ctx: AppContext): Router {
  const router = express.Router()
  router.get('/oauth/client-metadata.json', (_req, res) => {
    if (!ctx.oauth) return void res.status(404).end()
    res.json(ctx.oauth.clientMetadata)
  })
  router.get('/oauth/jwks.json', (_req, res) => {
    if (!ctx.oauth) return void res.status(404).end()
    res.json(ctx.oauth.jwks)
  })
  router.get('/oauth/authorize', async (req, res) => {
    if (!ctx.oauth) return void res.status(404).json({ error: 'OAuthUnavailable' })
    const handle = typeof req.query.handle === 'string' ? req.query.handle.trim() : ''
    if (!handle || handle.length > 256) {
      return void res
        .status(400)
        .json({ error: 'InvalidRequest', message: 'handle (or DID, or PDS URL) is required' })
    }
    try {
      res.redirect(302, (await ctx.oauth.authorizeUrl(handle)).toString())
    } catch (err) {
      ctx.log.info({ err, handle }, 'oauth authorize failed')
      res.status(400).json({ error: 'AuthorizeFailed', message: (err as Error).message })
    }
  })
  router.get('/oauth/callback', async (req, res) => {
    if (!ctx.oauth) return void res.status(404).json({ error: 'OAuthUnavailable' })
    const params = new URLSearchParams(req.originalUrl.split('?')[1] ?? '')
    try {
      const { did } = await ctx.oauth.finish(params)
      ctx.outbound.forget(did)
      if (req.accepts(['html', 'json']) === 'json') res.json({ did, authorized: true })
      else
        res
          .type('html')
          .send(`<!doctype html><title>Sundial</title><p>Sundial can now publish for ${escapeHtml(did)}.</p>`)
    } catch (err) {
      ctx.log.info({ err }, 'oauth callback failed')
      res.status(400).json({ error: 'CallbackFailed', message: (err as Error).message })
    }
  })
  return router
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
