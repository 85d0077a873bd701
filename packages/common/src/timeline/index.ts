export {
  applyFollow,
  applyUnfollow,
  fanOutFeedItems,
  holdFanOutLock,
  registerLocalUser,
  removeFromTimelines,
  WRITERS_LOCK_KEY,
} from './fan-out.ts'
export type { LocalUserRegistration } from './fan-out.ts'
