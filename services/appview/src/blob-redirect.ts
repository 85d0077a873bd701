import { ensureValidDid } from '@atproto/syntax'
import express from 'express'
import type { IdResolver } from '@atproto/identity'
import type { Logger } from './logger.ts'

const CID = /^[a-z2-7]{8,}$|^Qm[1-9A-HJ-NP-Za-km-z]{44}$/

/**
 * `GET /blob/:did/:cid`: image URLs for accounts whose PDS the index does not know yet point here; we resolve
 * the DID document (cached) and redirect to the PDS's getBlob.
 */
export function blobRedirectRouter(idResolver: IdResolver, logger: Logger): express.Router {
  const router = express.Router()
  router.get('/blob/:did/:cid', async (req, res) => {
    const { did, cid } = req.params
    try {
      ensureValidDid(did)
    } catch {
      res.status(400).json({ error: 'InvalidRequest', message: 'invalid did' })
      return
    }
    if (!CID.test(cid)) {
      res.status(400).json({ error: 'InvalidRequest', message: 'invalid cid' })
      return
    }
    try {
      const data = await idResolver.did.resolveAtprotoData(did)
      const url = new URL('/xrpc/com.atproto.sync.getBlob', data.pds)
      url.searchParams.set('did', did)
      url.searchParams.set('cid', cid)
      res.redirect(302, url.toString())
    } catch (err) {
      logger.debug({ err, did }, 'blob redirect: could not resolve PDS')
      res.status(404).json({ error: 'NotFound', message: 'could not resolve the account PDS' })
    }
  })
  return router
}
