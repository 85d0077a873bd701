import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import type { WriteAction } from '../../../../publisher/publish-draft.ts'
import { userAuth } from '../../../auth.ts'
import { createDraftForWrite, draftFields, readProxyHeaders } from '../../../proxy-write.ts'

const NSID = 'com.atproto.repo.applyWrites'
const PREFIX = 'com.atproto.repo.applyWrites#'

interface Input {
  repo: string
  validate?: boolean
  swapCommit?: string
  writes: Array<{ $type?: string; collection: string; rkey?: string; value?: unknown }>
}

/** Same body as the PDS method; all writes publish together, atomically, with keys fixed now. */
export default function (server: Server, ctx: AppContext) {
  server.xrpc.method(NSID, {
    auth: userAuth(ctx, NSID),
    handler: async ({ auth, input, req }) => {
      const opts = readProxyHeaders(req.headers)
      const body = (input as { body: Input }).body
      if (body.swapCommit) {
        throw new InvalidRequestError('swapCommit cannot be honoured for a deferred write', 'InvalidSwap')
      }
      const writes = body.writes.map((w) => {
        const kind = (w.$type ?? '').replace(PREFIX, '')
        const action: WriteAction | undefined =
          kind === 'create'
            ? 'create'
            : kind === 'update'
              ? 'update'
              : kind === 'delete'
                ? 'delete'
                : undefined
        if (!action) throw new InvalidRequestError(`unknown write type ${w.$type}`)
        return { action, collection: w.collection, rkey: w.rkey, value: w.value }
      })
      const created = await createDraftForWrite(
        ctx,
        (auth as { credentials: { did: string } }).credentials.did,
        { repo: body.repo, operation: 'applyWrites', validate: body.validate, writes },
        opts,
      )
      return {
        encoding: 'application/json',
        body: {
          results: created.writes.map((w) =>
            w.action === 'delete'
              ? { $type: `${PREFIX}deleteResult` }
              : {
                  $type: `${PREFIX}${w.action}Result`,
                  uri: w.uri,
                  cid: w.cid,
                  validationStatus: w.validationStatus,
                },
          ),
          ...draftFields(created),
        },
      }
    },
  })
}
