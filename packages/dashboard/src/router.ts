import path from 'node:path'
import { fileURLToPath } from 'node:url'
import express from 'express'
import type { NextFunction, Request, Response, Router } from 'express'
import type { Bus, Db, Logger } from '@sundial/common'
import { OperatorAuth, sessionCookie } from './auth.ts'
import { createBackfillSource } from './data/backfill.ts'
import type { BackfillSource } from './data/backfill.ts'
import { cancelFailedDraft, retryFailedDraft } from './data/queries.ts'
import { LiveSampler } from './live/sampler.ts'
import { buildSnapshot } from './live/snapshot.ts'
import type { LiveSnapshot } from './live/snapshot.ts'
import { disabledPage, loginPage } from './pages.ts'

const STATIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../static')

export interface DashboardOptions {
  db: Db
  bus: Bus
  logger: Logger
  /** `ADMIN_PASSWORD`: enables the login form. */
  adminPassword?: string
  /** `ADMIN_TOKEN`: accepted as `Authorization: Bearer <token>`. */
  adminToken?: string
  /** Key for session cookies; default derived from the password. */
  sessionSecret?: string
  /** Session lifetime; default 12 h. */
  sessionTtlMs?: number
  /** Sampling period of the charts; default 2000 ms. */
  sampleIntervalMs?: number
  /** How much history the charts keep; default one hour. */
  historyWindowMs?: number
  /** The firehose's row in the `cursor` table; default `firehose`. */
  cursorName?: string
  backfill?: BackfillSource
}

/** The express router plus what owns its sampling timer. */
export type DashboardRouter = Router & {
  /** Starts sampling; already running from creation when the dashboard is enabled. */
  start(): void
  destroy(): Promise<void>
}

/**
 * The operator dashboard as an express router, to mount at `/dashboard/` in the appview process:
 * `app.use('/dashboard', createDashboardRouter({ db, bus, logger, adminPassword }))`.
 */
export function createDashboardRouter(opts: DashboardOptions): DashboardRouter {
  const { db, bus, logger } = opts
  const auth = new OperatorAuth(opts)
  const backfill = opts.backfill ?? createBackfillSource(db)
  const sampler = new LiveSampler(
    { db, bus, logger, backfill },
    { intervalMs: opts.sampleIntervalMs, windowMs: opts.historyWindowMs, cursorName: opts.cursorName },
  )

  // Several open tabs share one snapshot per second instead of each running the queries.
  let cached: { at: number; value: Promise<LiveSnapshot> } | undefined
  const snapshot = (): Promise<LiveSnapshot> => {
    if (!cached || Date.now() - cached.at > 1000) {
      const value = buildSnapshot({ db, logger, sampler, backfill })
      cached = { at: Date.now(), value }
      value.catch(() => (cached = undefined))
    }
    return cached.value
  }

  const router = express.Router() as DashboardRouter
  router.start = () => sampler.start()
  // The charts cover the hour before the page is opened, so sampling starts now (a closed dashboard samples nothing).
  if (auth.enabled) sampler.start()
  router.destroy = () => sampler.stop()

  router.use((req, res, next) => {
    res.set({
      'Content-Security-Policy':
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    })
    next()
  })

  router.use('/static', express.static(STATIC_DIR, { index: false, fallthrough: false, maxAge: 0 }))

  router.use((req, res, next) => {
    if (auth.enabled) return next()
    if (req.path.startsWith('/api/')) {
      res.status(503).json({ error: 'DashboardDisabled', message: 'set ADMIN_PASSWORD or ADMIN_TOKEN' })
    } else {
      res.status(503).type('html').send(disabledPage())
    }
  })

  const cookiePath = (req: Request) => req.baseUrl || '/'
  const secure = (req: Request) => req.secure || req.get('x-forwarded-proto') === 'https'

  router.get('/login', (req, res) => {
    if (auth.authenticate(req)) return res.redirect(303, './')
    res.type('html').send(loginPage({ passwordLogin: auth.passwordLogin }))
  })

  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const password = (req.body as Record<string, unknown> | undefined)?.password
    if (!auth.passwordLogin || !auth.checkPassword(password)) {
      logger.warn({ ip: req.ip }, 'dashboard sign-in refused')
      // A short pause makes guessing slow even where nginx's rate limit is not in front.
      await new Promise((r) => setTimeout(r, 400))
      return res
        .status(401)
        .type('html')
        .send(loginPage({ error: 'Wrong password.', passwordLogin: auth.passwordLogin }))
    }
    res.setHeader(
      'Set-Cookie',
      sessionCookie(auth.issueSession(), {
        path: cookiePath(req),
        secure: secure(req),
        maxAgeMs: auth.sessionTtlMs,
      }),
    )
    logger.info({ ip: req.ip }, 'dashboard sign-in')
    res.redirect(303, './')
  })

  router.post('/logout', (req, res) => {
    res.setHeader(
      'Set-Cookie',
      sessionCookie('', { path: cookiePath(req), secure: secure(req), maxAgeMs: 0 }),
    )
    res.redirect(303, 'login')
  })

  const requireOperator = (req: Request, res: Response, next: NextFunction) => {
    if (auth.authenticate(req)) return next()
    if (req.path.startsWith('/api/')) {
      return res.status(401).json({ error: 'AuthRequired', message: 'sign in to the dashboard' })
    }
    res.redirect(303, req.baseUrl ? `${req.baseUrl}/login` : 'login')
  }

  router.get('/', requireOperator, (req, res) => {
    // Relative asset and API URLs need the trailing slash (`/dashboard` → `/dashboard/`).
    const [pathname, query] = req.originalUrl.split('?')
    if (!pathname.endsWith('/')) return res.redirect(301, `${pathname}/${query ? `?${query}` : ''}`)
    res.sendFile(path.join(STATIC_DIR, 'index.html'))
  })

  router.get('/api/live', requireOperator, async (_req, res, next) => {
    try {
      res.json(await snapshot())
    } catch (err) {
      next(err)
    }
  })

  router.get('/api/history', requireOperator, (req, res) => {
    const since = Number(req.query.since ?? 0)
    res.json({ intervalMs: sampler.intervalMs, samples: sampler.samples(Number.isFinite(since) ? since : 0) })
  })

  // Actions take JSON only: a cross-site form cannot send it, which (with SameSite=Strict) keeps them CSRF-safe.
  const actionBody = express.json({ limit: '4kb', strict: true })
  const jsonOnly = (req: Request, res: Response, next: NextFunction) => {
    if (!req.is('application/json')) {
      return res.status(415).json({ error: 'InvalidRequest', message: 'send application/json' })
    }
    next()
  }

  router.post(
    '/api/drafts/:id/:action(retry|cancel)',
    requireOperator,
    jsonOnly,
    actionBody,
    async (req, res, next) => {
      try {
        const { id, action } = req.params
        const outcome = action === 'retry' ? await retryFailedDraft(db, id) : await cancelFailedDraft(db, id)
        if (outcome === 'not-found')
          return res.status(404).json({ error: 'NotFound', message: 'no such draft' })
        if (outcome === 'not-failed') {
          return res
            .status(409)
            .json({ error: 'InvalidState', message: 'only a failed draft can be retried or cancelled' })
        }
        cached = undefined
        logger.info({ draftId: id, action }, 'dashboard draft action')
        res.json({ ok: true, id, action })
      } catch (err) {
        next(err)
      }
    },
  )

  router.post('/api/backfill/:id/requeue', requireOperator, jsonOnly, actionBody, async (req, res, next) => {
    try {
      const outcome = await backfill.requeue(req.params.id)
      if (outcome === 'not-found')
        return res.status(404).json({ error: 'NotFound', message: 'no such backfill job' })
      if (outcome === 'unsupported') {
        return res
          .status(501)
          .json({ error: 'Unsupported', message: 'no backfill queue table in this database' })
      }
      cached = undefined
      logger.info({ job: req.params.id }, 'dashboard backfill requeue')
      res.json({ ok: true, id: req.params.id })
    } catch (err) {
      next(err)
    }
  })

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number; statusCode?: number }).status ?? 500
    if (status >= 500) logger.error({ err, path: req.path }, 'dashboard request failed')
    if (res.headersSent) return
    res.status(status).json({
      error: status === 404 ? 'NotFound' : 'InternalError',
      message: status === 404 ? 'not found' : 'dashboard error',
    })
  })

  return router
}
