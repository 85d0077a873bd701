export interface SeenCommit {
  operation: 'create' | 'update' | 'delete'
  cid: string | null
  seenAt: Date
}

/**
 * Commits recently seen for watched accounts, by URI. A Jetstream event can arrive before the publish that
 * caused it is recorded (the PDS acknowledges, Jetstream delivers, then our transaction commits), or be
 * replayed after a restart before the interrupted publish is recovered; tracking checks here first.
 */
export class RecentCommits {
  private readonly byUri = new Map<string, SeenCommit[]>()

  constructor(
    private readonly maxAgeMs = 15 * 60_000,
    private readonly maxEntries = 200_000,
  ) {}

  add(uri: string, commit: SeenCommit): void {
    const list = this.byUri.get(uri)
    if (list) {
      list.push(commit)
      if (list.length > 8) list.shift()
    } else {
      this.byUri.set(uri, [commit])
    }
    this.prune(commit.seenAt.getTime())
  }

  get(uri: string): SeenCommit[] {
    return this.byUri.get(uri) ?? []
  }

  get size(): number {
    return this.byUri.size
  }

  private prune(now: number): void {
    // Map iteration follows insertion order: the oldest URIs come first.
    for (const [uri, list] of this.byUri) {
      const newest = list[list.length - 1]
      if (this.byUri.size <= this.maxEntries && now - newest.seenAt.getTime() < this.maxAgeMs) break
      this.byUri.delete(uri)
    }
  }
}
