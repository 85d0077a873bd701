import type { Request, Response } from 'express'
import type { AuthResult, MethodAuthContext, Server } from '@atproto/xrpc-server'

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
 *
 * Two shortcuts around xrpc-server's generic pipeline, both measured on the timeline under load:
 * - auth runs at the start of the handler rather than as the method's `auth`: for a query the order is the same
 *   (parameters, then auth, then the handler), but the library would check every auth result against its
 *   error-result schema, which builds two exceptions (with stack traces) per call.
 * - unless responses are validated (VALIDATE_RESPONSES), the body is serialised once with JSON.stringify and
 *   sent as bytes: the library would otherwise copy it through lexToJson and stringify the copy, and express
 *   would hash it for an ETag. Views are plain JSON (records come from the database as JSON, blob refs in their
 *   `$link` form), so the bytes are the same.
 */
export function query<P, O, A extends AuthResult>(
  server: Server,
  nsid: string,
  config: QueryConfig<P, O, A>,
): void {
  const validated = server.options.validateResponse !== false
  server.method(nsid, {
    handler: async ({ params, req, res }) => {
      const auth = await config.auth({ req, res, params })
      const output = await config.handler({ params: params as P, auth, req, res })
      if (validated) return output
      return {
        encoding: output.encoding,
        buffer: Buffer.from(JSON.stringify(output.body)),
        headers: output.headers,
      }
    },
  })
}

export function json<O>(body: O, headers?: Record<string, string>): JsonOutput<O> {
  return { encoding: 'application/json', body, headers }
}
