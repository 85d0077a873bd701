import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../context.ts'
import { userAuth } from './auth.ts'
import { createDraftForWrite, draftFields, readProxyHeaders } from './proxy-write.ts'

interface RecordWriteInput {
  repo: string
  collection: string
  rkey?: string
  validate?: boolean
  record: unknown
}

/**
 * createRecord and putRecord: the PDS method's body becomes a one-write draft (scheduled with `x-scheduled-at`),
 * answered with the record's final uri and cid as the PDS would.
 */
export function registerRecordWrite(
  server: Server,
  ctx: AppContext,
  method: { nsid: string; operation: 'create' | 'put'; action: 'create' | 'update' },
): void {
  server.xrpc.method(method.nsid, {
    auth: userAuth(ctx, method.nsid),
    handler: async ({ auth, input, req }) => {
      const opts = readProxyHeaders(req.headers)
      const body = (input as { body: RecordWriteInput }).body
      const created = await createDraftForWrite(
        ctx,
        (auth as { credentials: { did: string } }).credentials.did,
        {
          repo: body.repo,
          operation: method.operation,
          validate: body.validate,
          writes: [
            { action: method.action, collection: body.collection, rkey: body.rkey, value: body.record },
          ],
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
