import type { Db } from '@sundial/common'

export interface TimelineStatusRow {
  isLocalUser: boolean
  timelineBuiltAt: Date | null
  completeSince: Date | null
  itemCount: number
}

export async function getTimelineStatus(db: Db, did: string): Promise<TimelineStatusRow> {
  const user = await db
    .selectFrom('localUser')
    .select(['timelineBuiltAt', 'completeSince'])
    .where('did', '=', did)
    .executeTakeFirst()
  if (!user) return { isLocalUser: false, timelineBuiltAt: null, completeSince: null, itemCount: 0 }
  const { count } = await db
    .selectFrom('timelineItem')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('viewerDid', '=', did)
    .executeTakeFirstOrThrow()
  return { isLocalUser: true, ...user, itemCount: Number(count) }
}
