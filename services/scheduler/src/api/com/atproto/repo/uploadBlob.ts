import type { Readable } from 'node:stream'
import { jsonToLex } from '@atproto/lexicon'
import { InvalidRequestError, ResponseType, XRPCError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { putBlob } from '../../../../db/blobs.ts'
import { blobCid } from '../../../../records/record-cid.ts'
import { userAuth } from '../../../auth.ts'

const NSID = 'com.atproto.repo.uploadBlob'

/**
 * Keeps the bytes (keyed by CID, per owner) and answers with the blob ref the PDS would give; the scheduler
 * uploads them to the PDS when a draft that references them is published.
 */
export default function (server: Server, ctx: AppContext) {
  server.xrpc.method(NSID, {
    auth: userAuth(ctx, NSID),
    opts: { blobLimit: ctx.cfg.maxBlobBytes },
    handler: async ({ auth, input }) => {
      const { encoding, body } = input as { encoding: string; body: Readable }
      const did = (auth as { credentials: { did: string } }).credentials.did
      const stored = await storeUpload(ctx, did, body, encoding)
      return { encoding: 'application/json', body: { blob: jsonToLex(stored) } }
    },
  })
}

export async function storeUpload(
  ctx: AppContext,
  did: string,
  body: Readable,
  encoding: string | undefined,
) {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > ctx.cfg.maxBlobBytes)
      throw new XRPCError(
        ResponseType.PayloadTooLarge,
        `blob larger than ${ctx.cfg.maxBlobBytes} bytes`,
        'BlobTooLarge',
      )
    chunks.push(chunk as Buffer)
  }
  if (size === 0) throw new InvalidRequestError('empty blob')
  const bytes = Buffer.concat(chunks)
  const cid = blobCid(bytes)
  const mimeType = !encoding || encoding === '*/*' ? 'application/octet-stream' : encoding
  await putBlob(ctx.db, { ownerDid: did, cid, mimeType, bytes })
  return { $type: 'blob', ref: { $link: cid }, mimeType, size }
}
