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
const id = 'dev.sundial.scheduler.publishDraftNow'

export type QueryParams = {}

export interface InputSchema {
  id: string
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
  error?: 'DraftNotFound' | 'InvalidDraftState'
}

export type HandlerOutput = HandlerError | HandlerSuccess
