export {
  applyFollow,
  applyUnfollow,
  fanOutFeedItems,
  holdFanOutLock,
  registerLocalUser,
  removeFromTimelines,
} from './fan-out.ts'
export type { LocalUserRegistration } from './fan-out.ts'
