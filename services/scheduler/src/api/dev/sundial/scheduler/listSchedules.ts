import { InvalidRequestError } from '@atproto/xrpc-server'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { decodeCursor, encodeCursor } from '../../../../db/pagination.ts'
import { listOwnedSchedules, pendingDraftIds } from '../../../../db/schedules.ts'
import { scheduleView } from '../../../../views/draft-view.ts'
import { userAuth } from '../../../auth.ts'
import type { UserAuth } from '../../../auth.ts'

export default function (server: Server, ctx: AppContext) {
  server.dev.sundial.scheduler.listSchedules<UserAuth>({
    auth: userAuth(ctx, 'dev.sundial.scheduler.listSchedules'),
    handler: async ({ auth, params }) => {
      const before = params.cursor ? decodeCursor(params.cursor) : undefined
      if (params.cursor && !before) throw new InvalidRequestError('malformed cursor', 'InvalidCursor')
      const limit = params.limit ?? 50
      const rows = await listOwnedSchedules(ctx.db, auth.credentials.did, { limit, before })
      const pending = await pendingDraftIds(
        ctx.db,
        rows.map((r) => r.id),
      )
      const last = rows.at(-1)
      return {
        encoding: 'application/json',
        body: {
          schedules: rows.map((r) => scheduleView(r, { pendingDraftId: pending.get(r.id) })),
          cursor: rows.length === limit && last ? encodeCursor(last) : undefined,
        },
      }
    },
  })
}
