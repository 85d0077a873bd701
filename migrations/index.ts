import type { Migration } from 'kysely'
import * as coreIndex from './20261123T0200_core_index.ts'
import * as scheduler from './20261123T0300_scheduler.ts'
import * as backfill from './20261123T0400_backfill.ts'
import * as timelineItemRemoval from './20261123T0500_timeline_item_removal.ts'
import * as schedulerFailures from './20261123T0600_scheduler_failures.ts'
import * as localFollow from './20261123T0700_local_follow.ts'
import * as interactionKeyIndexes from './20261123T0800_interaction_key_indexes.ts'

/** Every migration, by its frozen name. Names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '20261123T0200_core_index': coreIndex,
  '20261123T0300_scheduler': scheduler,
  '20261123T0400_backfill': backfill,
  '20261123T0500_timeline_item_removal': timelineItemRemoval,
  '20261123T0600_scheduler_failures': schedulerFailures,
  '20261123T0700_local_follow': localFollow,
  '20261123T0800_interaction_key_indexes': interactionKeyIndexes,
}
