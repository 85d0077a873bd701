export { JetstreamServer } from './server.ts'
export type { AttachPdsOptions, JetstreamServerOptions } from './server.ts'
export type {
  AccountStatus,
  CommitOperation,
  JetstreamAccountEvent,
  JetstreamCommit,
  JetstreamCommitDelete,
  JetstreamCommitEvent,
  JetstreamCommitWrite,
  JetstreamEvent,
  JetstreamEventInput,
  JetstreamIdentityEvent,
  JetstreamRecord,
} from './events.ts'
export { serializeEvent } from './events.ts'
export type { RetentionOptions } from './event-log.ts'
export type { Logger } from './logger.ts'
export type { SubscriberStats } from './subscriber.ts'
export { recordToJson } from './record-json.ts'
export {
  DEFAULT_START_TIME_US,
  MALFORMED_REASONS,
  OVERSIZED_RECORD_BYTES,
  syntheticEvents,
} from './synthetic.ts'
export type { MalformedFrame, MalformedReason, SyntheticItem, SyntheticOptions } from './synthetic.ts'
export { appendItems, playItems } from './pump.ts'
export type { EmitTarget, PlayOptions, StreamSummary } from './pump.ts'
