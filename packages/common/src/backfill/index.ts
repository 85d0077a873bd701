export { BACKFILL_CHANNEL, enqueueBackfill, enqueueBackfills, enqueueOnboarding } from './queue.ts'
export type { BackfillRequest, EnqueueOptions } from './queue.ts'
export { backfillStatusFor, markTimelinesComplete } from './status.ts'
export type { BackfillStatus } from './status.ts'
