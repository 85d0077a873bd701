import express from 'express'
import type { Router } from 'express'
import { XRPCError } from '@atproto/xrpc-server'
import type { AppContext } from '../context.ts'
import { storeUpload } from '../api/com/atproto/repo/uploadBlob.ts'

/**
 * POST /blob: the upload route ALF clients use (raw bytes in, `{ cid, mimeType, size }` out), backed by the
 * same storage as com.atproto.repo.uploadBlob and the same service-auth token for that method.
 */
export function alfBlobRoutes(ctx: AppContext): Router {
  const router = express.Router()
  router.post('/blob', async (req, res) => {
    try {
      const auth = await ctx.authVerifier.verify(req.headers.authorization, 'com.atproto.repo.uploadBlob')
      const declared = Number(req.headers['content-length'])
      if (Number.isFinite(declared) && declared > ctx.cfg.maxBlobBytes) {
        return void res
          .status(413)
          .json({ error: 'BlobTooLarge', message: `blob larger than ${ctx.cfg.maxBlobBytes} bytes` })
      }
      const encoding = req.headers['content-type']?.split(';')[0].trim()
      const blob = await storeUpload(ctx, auth.credentials.did, req, encoding)
      res.json({ cid: blob.ref.$link, mimeType: blob.mimeType, size: blob.size, blob })
    } catch (err) {
      const xrpc = err instanceof XRPCError ? err : null
      if (!xrpc) ctx.log.error({ err }, 'blob upload failed')
      res
        .status(xrpc?.statusCode ?? 500)
        .json(xrpc ? xrpc.payload : { error: 'InternalServerError', message: 'upload failed' })
    }
  })
  return router
}
