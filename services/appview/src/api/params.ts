import { InvalidRequestError } from '@atproto/xrpc-server'
import type { AppContext } from '../context.ts'
import { getRepoRev, resolveActorDids } from '../db/actors.ts'
import { MAX_TIME_MS, MIN_TIME_MS, decodeTimeCid } from '../db/pagination.ts'
import type { TimeCidKey } from '../db/pagination.ts'

/** A keyset cursor from the request; a malformed one is the client's error. */
export function cursorKey(cursor: string | undefined): TimeCidKey | undefined {
  const result = decodeTimeCid(cursor)
  if (!result.ok) throw new InvalidRequestError(result.reason)
  return result.key
}

/** The DID behind a handle or DID parameter, or undefined when no account by that handle is indexed. */
export async function resolveActor(ctx: AppContext, actor: string): Promise<string | undefined> {
  const dids = await resolveActorDids(ctx.db, [actor])
  return dids.get(actor)
}

/** at-uris may name their repo by handle; this index keys everything by DID. */
export async function resolvePostUris(ctx: AppContext, uris: string[]): Promise<string[]> {
  const hosts = uris.map((uri) => hostOf(uri)).filter((host) => !host.startsWith('did:'))
  if (hosts.length === 0) return uris
  const dids = await resolveActorDids(ctx.db, hosts)
  return uris.map((uri) => {
    const host = hostOf(uri)
    const did = host.startsWith('did:') ? host : dids.get(host)
    return did ? `at://${did}${uri.slice(5 + host.length)}` : uri
  })
}

function hostOf(uri: string): string {
  const rest = uri.startsWith('at://') ? uri.slice(5) : uri
  const slash = rest.indexOf('/')
  return slash === -1 ? rest : rest.slice(0, slash)
}

/** A datetime parameter as a Date, clamped to what the database can compare against. */
export function timeParam(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new InvalidRequestError(`Invalid datetime: ${value}`)
  return new Date(Math.min(MAX_TIME_MS, Math.max(MIN_TIME_MS, ms)))
}

/** `atproto-repo-rev` for the viewer, so a PDS proxying us can merge the viewer's newer local writes. */
export async function repoRevHeaders(
  ctx: AppContext,
  viewer: string | null,
): Promise<Record<string, string>> {
  if (!viewer) return {}
  const rev = await getRepoRev(ctx.db, viewer)
  return rev ? { 'atproto-repo-rev': rev } : {}
}
