/**
 * Jetstream v1 wire types. Field names and nesting follow the JSON that real Jetstream sends on `/subscribe`.
 */

export type CommitOperation = 'create' | 'update' | 'delete'

/** A record as Jetstream renders it: atproto JSON (`{"$link"}`, `{"$bytes"}`, blob refs) with a `$type`. */
export interface JetstreamRecord {
  $type: string
  [key: string]: unknown
}

export interface JetstreamCommitWrite {
  rev: string
  operation: 'create' | 'update'
  collection: string
  rkey: string
  record: JetstreamRecord
  cid: string
}

export interface JetstreamCommitDelete {
  rev: string
  operation: 'delete'
  collection: string
  rkey: string
}

export type JetstreamCommit = JetstreamCommitWrite | JetstreamCommitDelete

export interface JetstreamCommitEvent {
  did: string
  time_us: number
  kind: 'commit'
  commit: JetstreamCommit
}

export interface JetstreamIdentityEvent {
  did: string
  time_us: number
  kind: 'identity'
  identity: { did: string; handle?: string; seq: number; time: string }
}

export type AccountStatus = 'takendown' | 'suspended' | 'deleted' | 'deactivated' | (string & {})

export interface JetstreamAccountEvent {
  did: string
  time_us: number
  kind: 'account'
  account: { active: boolean; did: string; seq: number; status?: AccountStatus; time: string }
}

export type JetstreamEvent = JetstreamCommitEvent | JetstreamIdentityEvent | JetstreamAccountEvent

type WithOptionalTime<T> = T extends { time_us: number } ? Omit<T, 'time_us'> & { time_us?: number } : never

/** What `JetstreamServer.emit` accepts: an event whose `time_us` the server assigns when omitted. */
export type JetstreamEventInput = WithOptionalTime<JetstreamEvent>

/** Serializes an event with the key order real Jetstream uses (`did`, `time_us`, `kind`, then the payload). */
export function serializeEvent(event: JetstreamEvent): string {
  switch (event.kind) {
    case 'commit':
      return JSON.stringify({
        did: event.did,
        time_us: event.time_us,
        kind: 'commit',
        commit: orderCommit(event.commit),
      })
    case 'identity': {
      const { did, handle, seq, time } = event.identity
      return JSON.stringify({
        did: event.did,
        time_us: event.time_us,
        kind: 'identity',
        identity: handle === undefined ? { did, seq, time } : { did, handle, seq, time },
      })
    }
    case 'account': {
      const { active, did, seq, status, time } = event.account
      return JSON.stringify({
        did: event.did,
        time_us: event.time_us,
        kind: 'account',
        account: status === undefined ? { active, did, seq, time } : { active, did, seq, status, time },
      })
    }
  }
}

function orderCommit(commit: JetstreamCommit): JetstreamCommit {
  if (commit.operation === 'delete') {
    const { rev, operation, collection, rkey } = commit
    return { rev, operation, collection, rkey }
  }
  const { rev, operation, collection, rkey, record, cid } = commit
  return { rev, operation, collection, rkey, record, cid }
}
