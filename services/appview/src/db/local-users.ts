import type { Db } from '@sundial/common'

export interface TimelineStatusRow {
  isLocalUser: boolean
  timelineBuiltAt: Date | null
  itemCount: number
}

/** Whether `did` is a local user, since when, and how many items their materialised timeline holds. */
export async function getTimelineStatus(db: Db, did: string): Promise<TimelineStatusRow> {
  const user = await db
    .selectFrom('localUser')
    .select('timelineBuiltAt')
    .where('did', '=', did)
    .executeTakeFirst()
  if (!user) return { isLocalUser: false, timelineBuiltAt: null, itemCount: 0 }
  const { count } = await db
    .selectFrom('timelineItem')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('viewerDid', '=', did)
    .executeTakeFirstOrThrow()
  return { isLocalUser: true, ...user, itemCount: Number(count) }
}
