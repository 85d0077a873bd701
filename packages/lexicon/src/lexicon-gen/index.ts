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

  constructor(server: Server) {
    this._server = server
    this.feed = new DevSundialFeedNS(server)
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
