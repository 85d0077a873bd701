import type { Request, Response } from 'express'
import type { AuthResult, MethodAuth, MethodAuthContext, Server } from '@atproto/xrpc-server'

export interface JsonOutput<O> {
  encoding: 'application/json'
  body: O
  headers?: Record<string, string>
}

export interface QueryConfig<P, O, A extends AuthResult> {
  auth: (ctx: MethodAuthContext) => Promise<A>
  handler: (ctx: { params: P; auth: A; req: Request; res: Response }) => Promise<JsonOutput<O>>
}

/**
 * Registers a query with its lexicon's parameter and output types. xrpc-server has already validated and
 * defaulted the parameters against the lexicon when the handler runs.
 */
export function query<P, O, A extends AuthResult>(
  server: Server,
  nsid: string,
  config: QueryConfig<P, O, A>,
): void {
  server.method<A>(nsid, {
    // Extract<A, AuthResult> is A itself; TypeScript cannot see through it for a generic A.
    auth: config.auth as MethodAuth<A>,
    handler: ({ params, auth, req, res }) => config.handler({ params: params as P, auth, req, res }),
  })
}

export function json<O>(body: O, headers?: Record<string, string>): JsonOutput<O> {
  return { encoding: 'application/json', body, headers }
}
