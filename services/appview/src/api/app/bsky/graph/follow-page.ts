import type { AppBskyActorDefs, Un$Typed } from '@atproto/api'
import { InvalidRequestError } from '@atproto/xrpc-server'
import type { AppContext } from '../../../../context.ts'
import { getFollowEdges } from '../../../../db/graph.ts'
import { pageCursor } from '../../../../db/pagination.ts'
import { cursorKey, resolveActor } from '../../../params.ts'

export interface FollowPage {
  subject: Un$Typed<AppBskyActorDefs.ProfileView>
  profiles: Un$Typed<AppBskyActorDefs.ProfileView>[]
  cursor: string | undefined
}

/**
 * One page of an actor's follow graph, newest follow first, with the actor's own profile: the accounts it
 * follows (`getFollows`) or the accounts following it (`getFollowers`). An unknown actor is the reference's
 * InvalidRequest.
 */
export async function followPage(
  ctx: AppContext,
  direction: 'follows' | 'followers',
  params: { actor: string; limit?: number; cursor?: string },
  viewer: string | null,
): Promise<FollowPage> {
  const limit = params.limit ?? 50
  const did = await resolveActor(ctx, params.actor)
  if (!did) throw new InvalidRequestError(`Actor not found: ${params.actor}`)
  const rows = await getFollowEdges(ctx.db, direction, did, cursorKey(params.cursor), limit)
  const state = await ctx.hydrator.hydrateProfiles([did, ...rows.map((r) => r.did)], viewer)
  const subject = ctx.views.profile(did, state)
  if (!subject) throw new InvalidRequestError(`Actor not found: ${params.actor}`)
  return {
    subject,
    profiles: rows.flatMap((r) => ctx.views.profile(r.did, state) ?? []),
    cursor: pageCursor(rows, limit, (r) => r),
  }
}
