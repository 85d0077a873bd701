export interface PostAggDelta {
  replies: number
  reposts: number
  likes: number
  quotes: number
}

export interface ActorAggDelta {
  followers: number
  follows: number
  posts: number
}

/**
 * Count changes gathered from the rows a batch actually inserted (+1) or deleted (-1), applied once at the end of
 * the batch. Because only real row changes feed it, a replayed event changes nothing.
 */
export class AggregateDeltas {
  readonly posts = new Map<string, PostAggDelta>()
  readonly actors = new Map<string, ActorAggDelta>()

  post(uri: string): PostAggDelta {
    let delta = this.posts.get(uri)
    if (!delta) {
      delta = { replies: 0, reposts: 0, likes: 0, quotes: 0 }
      this.posts.set(uri, delta)
    }
    return delta
  }

  actor(did: string): ActorAggDelta {
    let delta = this.actors.get(did)
    if (!delta) {
      delta = { followers: 0, follows: 0, posts: 0 }
      this.actors.set(did, delta)
    }
    return delta
  }

  /** Non-zero post deltas, sorted by uri so concurrent writers lock rows in the same order. */
  postRows(): Array<{ uri: string } & PostAggDelta> {
    return [...this.posts]
      .filter(([, d]) => d.replies !== 0 || d.reposts !== 0 || d.likes !== 0 || d.quotes !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([uri, d]) => ({ uri, ...d }))
  }

  actorRows(): Array<{ did: string } & ActorAggDelta> {
    return [...this.actors]
      .filter(([, d]) => d.followers !== 0 || d.follows !== 0 || d.posts !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([did, d]) => ({ did, ...d }))
  }
}
