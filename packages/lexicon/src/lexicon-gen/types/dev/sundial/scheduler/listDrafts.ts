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
import type * as DevSundialSchedulerDefs from './defs.ts'

const is$typed = _is$typed,
  validate = _validate
const id = 'dev.sundial.scheduler.listDrafts'

export type QueryParams = {
  /** Only drafts in these states. */
  status?:
    | 'draft'
    | 'scheduled'
    | 'publishing'
    | 'published'
    | 'confirmed'
    | 'failed'
    | 'cancelled'
    | (string & {})[]
  limit: number
  cursor?: string
}
export type InputSchema = undefined

export interface OutputSchema {
  cursor?: string
  drafts: DevSundialSchedulerDefs.DraftView[]
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
  error?: 'InvalidCursor'
}

export type HandlerOutput = HandlerError | HandlerSuccess
