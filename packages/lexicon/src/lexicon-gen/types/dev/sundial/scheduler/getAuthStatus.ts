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
const id = 'dev.sundial.scheduler.getAuthStatus'

export type QueryParams = {}
export type InputSchema = undefined
export type OutputSchema = AuthStatus
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

export interface AuthStatus {
  $type?: 'dev.sundial.scheduler.getAuthStatus#authStatus'
  did: string
  authorized: boolean
  kind?: 'app_password' | 'oauth' | (string & {})
  pdsUrl?: string
  status?: 'active' | 'revoked' | (string & {})
  lastError?: string
}

const hashAuthStatus = 'authStatus'

export function isAuthStatus<V>(v: V) {
  return is$typed(v, id, hashAuthStatus)
}

export function validateAuthStatus<V>(v: V) {
  return validate<AuthStatus & V>(v, id, hashAuthStatus)
}
