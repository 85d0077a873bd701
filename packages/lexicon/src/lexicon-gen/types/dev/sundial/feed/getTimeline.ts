/**
 * GENERATED CODE - DO NOT MODIFY
 */
import { type ValidationResult, BlobRef } from '@atproto/lexicon'
import { validate as _validate } from '../../../../lexicons.ts'
import {
  type $Typed,
  is$typed as _is$typed,
  type OmitKey,
} from '../../../../util.ts'
import type { AppBskyFeedDefs } from '@atproto/api'

const is$typed = _is$typed,
  validate = _validate
const id = 'dev.sundial.feed.getTimeline'

export type QueryParams = {
  limit: number
  cursor?: string
  /** Leave out reposts. */
  excludeReposts: boolean
  /** Leave out replies by the viewer and followed accounts; reposts stay even when the reposted post is a reply (as getAuthorFeed's posts_no_replies). */
  excludeReplies: boolean
  /** Only posts whose record declares at least one of these languages (primary subtag match, e.g. 'en' matches 'en-US'). */
  langs?: string[]
  /** Only items whose sort time (min(createdAt, indexedAt)) is at or after this time. */
  since?: string
  /** Only items whose sort time is before this time. */
  until?: string
}
export type InputSchema = undefined

export interface OutputSchema {
  cursor?: string
  feed: AppBskyFeedDefs.FeedViewPost[]
}

export type HandlerInput = void

export interface HandlerSuccess {
  encoding: 'application/json'
  body: OutputSchema
  headers?: { [key: string]: string }
}

export interface HandlerError {
  status: number
  message?: string
}

export type HandlerOutput = HandlerError | HandlerSuccess
