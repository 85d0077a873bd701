import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { DraftStatus } from '@sundial/common'
import type { AppContext } from '../../../../context.ts'
import { listOwnedDrafts } from '../../../../db/drafts.ts'
import { decodeCursor, encodeCursor } from '../../../../db/pagination.ts'
import { DRAFT_STATUSES } from '../../../../metrics.ts'
import { draftView } from '../../../../views/draft-view.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.listDrafts<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.listDrafts'),
    handler: async ({ auth, params }) => {
      const before = params.cursor ? decodeCursor(params.cursor) : undefined
      if (params.cursor && !before) throw new InvalidRequestError('malformed cursor', 'InvalidCursor')
      const statuses = (params.status ?? []) as DraftStatus[]
      for (const s of statuses) {
        if (!(DRAFT_STATUSES as readonly string[]).includes(s))
          throw new InvalidRequestError(`unknown status ${s}`)
      }
      const limit = params.limit ?? 50
      const rows = await listOwnedDrafts(ctx.db, auth.credentials.did, { statuses, limit, before })
      const last = rows.at(-1)
      return {
        encoding: 'application/json',
        body: {
          drafts: rows.map(draftView),
          cursor: rows.length === limit && last ? encodeCursor(last) : undefined,
        },
      }
    },
  })
}
