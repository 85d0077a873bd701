import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { userAuth } from '../../../auth.ts'
import { createDraftForWrite, draftFields, readProxyHeaders } from '../../../proxy-write.ts'

const NSID = 'com.atproto.repo.deleteRecord'

interface Input {
  repo: string
  collection: string
  rkey: string
}

/** Same body as the PDS method; the delete is held as a draft until its time. */
export default function (server: Server, ctx: AppContext) {
  server.xrpc.method(NSID, {
    auth: userAuth(ctx, NSID),
    handler: async ({ auth, input, req }) => {
      const opts = readProxyHeaders(req.headers)
      const body = (input as { body: Input }).body
      const created = await createDraftForWrite(
        ctx,
        (auth as { credentials: { did: string } }).credentials.did,
        {
          repo: body.repo,
          operation: 'delete',
          writes: [{ action: 'delete', collection: body.collection, rkey: body.rkey }],
        },
        opts,
      )
      return {
        encoding: 'application/json',
        body: { uri: created.writes[0].uri, ...draftFields(created) },
      }
    },
  })
}
