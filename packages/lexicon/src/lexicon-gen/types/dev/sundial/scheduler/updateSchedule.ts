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
const id = 'dev.sundial.scheduler.updateSchedule'

export type QueryParams = {}

export interface InputSchema {
  id: string
  paused?: boolean
  /** Template record; createdAt is set at each publish unless keepCreatedAt. */
  record?: { [_ in string]: unknown }
  /** Fetched at publish time instead of a fixed record; its host must be allow-listed by the operator. */
  contentUrl?: string
  /** RFC 5545 RRULE (without DTSTART), e.g. FREQ=DAILY;COUNT=10. */
  rrule?: string
  /** IANA time zone the rule's wall-clock times are in. */
  timezone?: string
  /** Wall-clock DTSTART in the time zone, YYYY-MM-DDTHH:mm[:ss]. */
  start?: string
  exceptions?: DevSundialSchedulerDefs.Exception[]
  keepCreatedAt?: boolean
}

export interface OutputSchema {
  schedule: DevSundialSchedulerDefs.ScheduleView
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
  error?:
    | 'ScheduleNotFound'
    | 'InvalidRecurrence'
    | 'InvalidRecord'
    | 'ContentUrlNotAllowed'
}

export type HandlerOutput = HandlerError | HandlerSuccess
