import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { userAuth } from '../../../auth.ts'
import { createDraftForWrite, draftFields, readProxyHeaders } from '../../../proxy-write.ts'

const NSID = 'com.atproto.repo.createRecord'

interface Input {
  repo: string
  collection: string
  rkey?: string
  validate?: boolean
  record: unknown
}

/** Same body as the PDS method; the write becomes a draft (scheduled with `x-scheduled-at`). */
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
          operation: 'create',
          validate: body.validate,
          writes: [{ action: 'create', collection: body.collection, rkey: body.rkey, value: body.record }],
        },
        opts,
      )
      const [w] = created.writes
      return {
        encoding: 'application/json',
        body: { uri: w.uri, cid: w.cid, validationStatus: w.validationStatus, ...draftFields(created) },
      }
    },
  })
}
