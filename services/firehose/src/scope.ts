import type { Db } from '@sundial/common'
import type { ScopeFilter } from './batch/plan.ts'
import { readLocalScope } from './db/local-users.ts'

/**
 * The `local` index scope: records by local users and by the accounts they follow. The set only grows while the
 * process runs (a follow seen in the stream widens it at once; a refresh adds new local users); an unfollow takes
 * effect at the next start.
 */
export class LocalScope implements ScopeFilter {
  private localUsers = new Set<string>()
  private dids = new Set<string>()

  async refresh(db: Db): Promise<void> {
    const { localUsers, followed } = await readLocalScope(db)
    for (const did of localUsers) {
      this.localUsers.add(did)
      this.dids.add(did)
    }
    for (const did of followed) this.dids.add(did)
  }

  admits(did: string): boolean {
    return this.dids.has(did)
  }

  observeFollow(authorDid: string, subjectDid: string): void {
    if (this.localUsers.has(authorDid)) this.dids.add(subjectDid)
  }

  get size(): number {
    return this.dids.size
  }
}
