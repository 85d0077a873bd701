/**
 * GENERATED CODE - DO NOT MODIFY
 */
import {
  type Auth,
  type Options as XrpcOptions,
  Server as XrpcServer,
  type StreamConfigOrHandler,
  type MethodConfigOrHandler,
  createServer as createXrpcServer,
} from '@atproto/xrpc-server'
import { schemas } from './lexicons.ts'
import * as DevSundialFeedGetTimeline from './types/dev/sundial/feed/getTimeline.ts'
import * as DevSundialFeedGetTimelineStatus from './types/dev/sundial/feed/getTimelineStatus.ts'
import * as DevSundialSchedulerCreateSchedule from './types/dev/sundial/scheduler/createSchedule.ts'
import * as DevSundialSchedulerDeleteCredentials from './types/dev/sundial/scheduler/deleteCredentials.ts'
import * as DevSundialSchedulerDeleteDraft from './types/dev/sundial/scheduler/deleteDraft.ts'
import * as DevSundialSchedulerDeleteSchedule from './types/dev/sundial/scheduler/deleteSchedule.ts'
import * as DevSundialSchedulerGetAuthStatus from './types/dev/sundial/scheduler/getAuthStatus.ts'
import * as DevSundialSchedulerGetDraft from './types/dev/sundial/scheduler/getDraft.ts'
import * as DevSundialSchedulerGetSchedule from './types/dev/sundial/scheduler/getSchedule.ts'
import * as DevSundialSchedulerListDrafts from './types/dev/sundial/scheduler/listDrafts.ts'
import * as DevSundialSchedulerListSchedules from './types/dev/sundial/scheduler/listSchedules.ts'
import * as DevSundialSchedulerPublishDraftNow from './types/dev/sundial/scheduler/publishDraftNow.ts'
import * as DevSundialSchedulerPutAppPassword from './types/dev/sundial/scheduler/putAppPassword.ts'
import * as DevSundialSchedulerUpdateDraft from './types/dev/sundial/scheduler/updateDraft.ts'
import * as DevSundialSchedulerUpdateSchedule from './types/dev/sundial/scheduler/updateSchedule.ts'

export function createServer(options?: XrpcOptions): Server {
  return new Server(options)
}

export class Server {
  xrpc: XrpcServer
  dev: DevNS

  constructor(options?: XrpcOptions) {
    this.xrpc = createXrpcServer(schemas, options)
    this.dev = new DevNS(this)
  }
}

export class DevNS {
  _server: Server
  sundial: DevSundialNS

  constructor(server: Server) {
    this._server = server
    this.sundial = new DevSundialNS(server)
  }
}

export class DevSundialNS {
  _server: Server
  feed: DevSundialFeedNS
  scheduler: DevSundialSchedulerNS

  constructor(server: Server) {
    this._server = server
    this.feed = new DevSundialFeedNS(server)
    this.scheduler = new DevSundialSchedulerNS(server)
  }
}

export class DevSundialFeedNS {
  _server: Server

  constructor(server: Server) {
    this._server = server
  }

  getTimeline<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialFeedGetTimeline.QueryParams,
      DevSundialFeedGetTimeline.HandlerInput,
      DevSundialFeedGetTimeline.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.feed.getTimeline' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  getTimelineStatus<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialFeedGetTimelineStatus.QueryParams,
      DevSundialFeedGetTimelineStatus.HandlerInput,
      DevSundialFeedGetTimelineStatus.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.feed.getTimelineStatus' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }
}

export class DevSundialSchedulerNS {
  _server: Server

  constructor(server: Server) {
    this._server = server
  }

  createSchedule<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerCreateSchedule.QueryParams,
      DevSundialSchedulerCreateSchedule.HandlerInput,
      DevSundialSchedulerCreateSchedule.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.createSchedule' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  deleteCredentials<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerDeleteCredentials.QueryParams,
      DevSundialSchedulerDeleteCredentials.HandlerInput,
      DevSundialSchedulerDeleteCredentials.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.deleteCredentials' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  deleteDraft<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerDeleteDraft.QueryParams,
      DevSundialSchedulerDeleteDraft.HandlerInput,
      DevSundialSchedulerDeleteDraft.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.deleteDraft' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  deleteSchedule<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerDeleteSchedule.QueryParams,
      DevSundialSchedulerDeleteSchedule.HandlerInput,
      DevSundialSchedulerDeleteSchedule.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.deleteSchedule' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  getAuthStatus<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerGetAuthStatus.QueryParams,
      DevSundialSchedulerGetAuthStatus.HandlerInput,
      DevSundialSchedulerGetAuthStatus.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.getAuthStatus' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  getDraft<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerGetDraft.QueryParams,
      DevSundialSchedulerGetDraft.HandlerInput,
      DevSundialSchedulerGetDraft.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.getDraft' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  getSchedule<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerGetSchedule.QueryParams,
      DevSundialSchedulerGetSchedule.HandlerInput,
      DevSundialSchedulerGetSchedule.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.getSchedule' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  listDrafts<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerListDrafts.QueryParams,
      DevSundialSchedulerListDrafts.HandlerInput,
      DevSundialSchedulerListDrafts.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.listDrafts' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  listSchedules<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerListSchedules.QueryParams,
      DevSundialSchedulerListSchedules.HandlerInput,
      DevSundialSchedulerListSchedules.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.listSchedules' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  publishDraftNow<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerPublishDraftNow.QueryParams,
      DevSundialSchedulerPublishDraftNow.HandlerInput,
      DevSundialSchedulerPublishDraftNow.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.publishDraftNow' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  putAppPassword<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerPutAppPassword.QueryParams,
      DevSundialSchedulerPutAppPassword.HandlerInput,
      DevSundialSchedulerPutAppPassword.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.putAppPassword' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  updateDraft<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerUpdateDraft.QueryParams,
      DevSundialSchedulerUpdateDraft.HandlerInput,
      DevSundialSchedulerUpdateDraft.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.updateDraft' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }

  updateSchedule<A extends Auth = void>(
    cfg: MethodConfigOrHandler<
      A,
      DevSundialSchedulerUpdateSchedule.QueryParams,
      DevSundialSchedulerUpdateSchedule.HandlerInput,
      DevSundialSchedulerUpdateSchedule.HandlerOutput
    >,
  ) {
    const nsid = 'dev.sundial.scheduler.updateSchedule' // @ts-ignore
    return this._server.xrpc.method(nsid, cfg)
  }
}
