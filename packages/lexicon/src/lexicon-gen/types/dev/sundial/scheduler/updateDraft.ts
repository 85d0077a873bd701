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
const id = 'dev.sundial.scheduler.updateDraft'

export type QueryParams = {}

export interface InputSchema {
  id: string
  /** Replacement record (create and put drafts). Its $type must match the collection. */
  record?: { [_ in string]: unknown }
  /** New publish time; the draft becomes scheduled. */
  scheduledAt?: string
  /** Turn a scheduled draft back into an unscheduled one. */
  unschedule?: boolean
  keepCreatedAt?: boolean
}

export interface OutputSchema {
  draft: DevSundialSchedulerDefs.DraftView
}

export interface HandlerInput {
  encoding: 'application/json'
  body: InputSchema
}

export interface HandlerSuccess {
  encoding: 'application/json'
  body: OutputSchema
  headers?: { [key: string]: string }
}

export interface HandlerError {
  status: number
  message?: string
  error?: 'DraftNotFound' | 'InvalidDraftState' | 'InvalidRecord'
}

export type HandlerOutput = HandlerError | HandlerSuccess
