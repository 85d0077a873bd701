import type { Server } from '@atproto/xrpc-server'
import type { AppContext } from '../context.ts'
import getProfile from './app/bsky/actor/getProfile.ts'
import getProfiles from './app/bsky/actor/getProfiles.ts'
import getAuthorFeed from './app/bsky/feed/getAuthorFeed.ts'
import getLikes from './app/bsky/feed/getLikes.ts'
import getPostThread from './app/bsky/feed/getPostThread.ts'
import getPosts from './app/bsky/feed/getPosts.ts'
import getRepostedBy from './app/bsky/feed/getRepostedBy.ts'
import getTimeline from './app/bsky/feed/getTimeline.ts'
import getFollowers from './app/bsky/graph/getFollowers.ts'
import getFollows from './app/bsky/graph/getFollows.ts'
import sundialGetTimeline from './dev/sundial/feed/getTimeline.ts'
import sundialGetTimelineStatus from './dev/sundial/feed/getTimelineStatus.ts'

const methods = [
  getTimeline,
  getAuthorFeed,
  getPostThread,
  getPosts,
  getRepostedBy,
  getLikes,
  getProfile,
  getProfiles,
  getFollows,
  getFollowers,
  sundialGetTimeline,
  sundialGetTimelineStatus,
]

/** Every XRPC method this service answers, one file each. */
export function registerMethods(server: Server, ctx: AppContext): void {
  for (const register of methods) register(server, ctx)
}
