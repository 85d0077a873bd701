import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { registerRecordWrite } from '../../../record-write-method.ts'

/** Same body as the PDS method; the write becomes a draft (scheduled with `x-scheduled-at`). */
export default function (server: Server, ctx: AppContext) {
  registerRecordWrite(server, ctx, {
    nsid: 'com.atproto.repo.createRecord',
    operation: 'create',
    action: 'create',
  })
}
