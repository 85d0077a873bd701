import { schemas as atprotoSchemas } from '@atproto/api'
import type { LexiconDoc } from '@atproto/lexicon'
import { createServer } from '@sundial/lexicon'
import type { Server } from '@sundial/lexicon'
import type { AppContext } from '../context.ts'
import applyWrites from './com/atproto/repo/applyWrites.ts'
import createRecord from './com/atproto/repo/createRecord.ts'
import deleteRecord from './com/atproto/repo/deleteRecord.ts'
import putRecord from './com/atproto/repo/putRecord.ts'
import uploadBlob from './com/atproto/repo/uploadBlob.ts'
import createSchedule from './dev/sundial/scheduler/createSchedule.ts'
import deleteCredentials from './dev/sundial/scheduler/deleteCredentials.ts'
import deleteDraft from './dev/sundial/scheduler/deleteDraft.ts'
import deleteSchedule from './dev/sundial/scheduler/deleteSchedule.ts'
import getAuthStatus from './dev/sundial/scheduler/getAuthStatus.ts'
import getDraft from './dev/sundial/scheduler/getDraft.ts'
import getSchedule from './dev/sundial/scheduler/getSchedule.ts'
import listDrafts from './dev/sundial/scheduler/listDrafts.ts'
import listSchedules from './dev/sundial/scheduler/listSchedules.ts'
import publishDraftNow from './dev/sundial/scheduler/publishDraftNow.ts'
import putAppPassword from './dev/sundial/scheduler/putAppPassword.ts'
import updateDraft from './dev/sundial/scheduler/updateDraft.ts'
import updateSchedule from './dev/sundial/scheduler/updateSchedule.ts'

/** The PDS write methods we intercept, with the official lexicons so bodies are validated exactly alike. */
const PROXIED = ['createRecord', 'putRecord', 'deleteRecord', 'applyWrites', 'uploadBlob'].map(
  (m) => `com.atproto.repo.${m}`,
)

export function createXrpcServer(ctx: AppContext): Server {
  const server = createServer({
    payload: {
      jsonLimit: ctx.cfg.maxRequestBytes,
      textLimit: ctx.cfg.maxRequestBytes,
      blobLimit: ctx.cfg.maxBlobBytes,
    },
  })
  const docs = (atprotoSchemas as LexiconDoc[]).filter(
    (d) =>
      PROXIED.includes(d.id) || d.id === 'com.atproto.repo.defs' || d.id === 'com.atproto.repo.strongRef',
  )
  server.xrpc.addLexicons(docs)
  for (const register of [createRecord, putRecord, deleteRecord, applyWrites, uploadBlob])
    register(server, ctx)
  for (const register of [
    listDrafts,
    getDraft,
    updateDraft,
    publishDraftNow,
    deleteDraft,
    createSchedule,
    listSchedules,
    getSchedule,
    updateSchedule,
    deleteSchedule,
    putAppPassword,
    getAuthStatus,
    deleteCredentials,
  ]) {
    register(server, ctx)
  }
  return server
}
