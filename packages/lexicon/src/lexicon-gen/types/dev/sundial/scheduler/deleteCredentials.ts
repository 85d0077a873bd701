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

const is$typed = _is$typed,
  validate = _validate
const id = 'dev.sundial.scheduler.deleteCredentials'

export type QueryParams = {}
export type InputSchema = undefined
export type HandlerInput = void

export interface HandlerError {
  status: number
  message?: string
}

export type HandlerOutput = HandlerError | void
