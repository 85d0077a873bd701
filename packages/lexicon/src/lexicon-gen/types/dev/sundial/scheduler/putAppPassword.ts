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
import type * as DevSundialSchedulerGetAuthStatus from './getAuthStatus.ts'

const is$typed = _is$typed,
  validate = _validate
const id = 'dev.sundial.scheduler.putAppPassword'

export type QueryParams = {}

export interface InputSchema {
  /** Handle or DID to sign in with; defaults to the requesting DID. */
  identifier?: string
  appPassword: string
}

export type OutputSchema = DevSundialSchedulerGetAuthStatus.AuthStatus

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
  error?: 'InvalidAppPassword' | 'AccountMismatch'
}

export type HandlerOutput = HandlerError | HandlerSuccess
