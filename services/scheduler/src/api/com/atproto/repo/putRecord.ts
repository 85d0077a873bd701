import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../../../../context.ts'
import { registerRecordWrite } from '../../../record-write-method.ts'

/** Same body as the PDS method; published as a putRecord to the same key. */
export default function (server: Server, ctx: AppContext) {
  registerRecordWrite(server, ctx, { nsid: 'com.atproto.repo.putRecord', operation: 'put', action: 'update' })
}
