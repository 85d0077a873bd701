/**
 * GENERATED CODE - DO NOT MODIFY
 */
import {
  type LexiconDoc,
  Lexicons,
  ValidationError,
  type ValidationResult,
} from '@atproto/lexicon'
import { type $Typed, is$typed, maybe$typed } from './util.ts'

export const schemaDict = {
  DevSundialDefs: {
    lexicon: 1,
    id: 'dev.sundial.defs',
    defs: {
      timelineStatus: {
        type: 'object',
        required: [
          'did',
          'isLocalUser',
          'complete',
          'pendingBackfills',
          'itemCount',
        ],
        properties: {
          did: {
            type: 'string',
            format: 'did',
          },
          isLocalUser: {
            type: 'boolean',
            description:
              'Whether this AppView keeps a materialised timeline for the account.',
          },
          timelineBuiltAt: {
            type: 'string',
            format: 'datetime',
            description: 'When the timeline was first built from indexed data.',
          },
          complete: {
            type: 'boolean',
            description:
              'True once the history of every followed account has been backfilled.',
          },
          completeSince: {
            type: 'string',
            format: 'datetime',
            description: 'When the timeline became complete.',
          },
          pendingBackfills: {
            type: 'integer',
            minimum: 0,
            description:
              'Followed accounts whose history is still being fetched.',
          },
          itemCount: {
            type: 'integer',
            minimum: 0,
            description:
              'Items (posts and reposts) in the materialised timeline.',
          },
        },
      },
    },
  },
  DevSundialFeedGetTimeline: {
    lexicon: 1,
    id: 'dev.sundial.feed.getTimeline',
    defs: {
      main: {
        type: 'query',
        description:
          "The requesting account's home timeline (same items, order and shape as app.bsky.feed.getTimeline), narrowed by optional filters. Requires auth.",
        parameters: {
          type: 'params',
          properties: {
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: 100,
              default: 50,
            },
            cursor: {
              type: 'string',
            },
            excludeReposts: {
              type: 'boolean',
              default: false,
              description: 'Leave out reposts.',
            },
            excludeReplies: {
              type: 'boolean',
              default: false,
              description:
                "Leave out replies by the viewer and followed accounts; reposts stay even when the reposted post is a reply (as getAuthorFeed's posts_no_replies).",
            },
            langs: {
              type: 'array',
              maxLength: 10,
              items: {
                type: 'string',
                format: 'language',
              },
              description:
                "Only posts whose record declares at least one of these languages (primary subtag match, e.g. 'en' matches 'en-US').",
            },
            since: {
              type: 'string',
              format: 'datetime',
              description:
                'Only items whose sort time (min(createdAt, indexedAt)) is at or after this time.',
            },
            until: {
              type: 'string',
              format: 'datetime',
              description: 'Only items whose sort time is before this time.',
            },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['feed'],
            properties: {
              cursor: {
                type: 'string',
              },
              feed: {
                type: 'array',
                items: {
                  type: 'ref',
                  ref: 'lex:app.bsky.feed.defs#feedViewPost',
                },
              },
            },
          },
        },
      },
    },
  },
  DevSundialFeedGetTimelineStatus: {
    lexicon: 1,
    id: 'dev.sundial.feed.getTimelineStatus',
    defs: {
      main: {
        type: 'query',
        description:
          "The state of the requesting account's materialised timeline on this AppView. Requires auth; calling it makes the caller a local user, like any authenticated timeline read.",
        parameters: {
          type: 'params',
          properties: {},
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'ref',
            ref: 'lex:dev.sundial.defs#timelineStatus',
          },
        },
      },
    },
  },
  DevSundialSchedulerCreateSchedule: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.createSchedule',
    defs: {
      main: {
        type: 'procedure',
        description: 'Creates a recurring schedule. Requires auth.',
        input: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['collection', 'rrule', 'timezone', 'start'],
            properties: {
              collection: {
                type: 'string',
                format: 'nsid',
              },
              record: {
                type: 'unknown',
                description:
                  'Template record; createdAt is set at each publish unless keepCreatedAt.',
              },
              contentUrl: {
                type: 'string',
                format: 'uri',
                description:
                  'Fetched at publish time instead of a fixed record; its host must be allow-listed by the operator.',
              },
              rrule: {
                type: 'string',
                maxLength: 1000,
                description:
                  'RFC 5545 RRULE (without DTSTART), e.g. FREQ=DAILY;COUNT=10.',
              },
              timezone: {
                type: 'string',
                maxLength: 64,
                description:
                  "IANA time zone the rule's wall-clock times are in.",
              },
              start: {
                type: 'string',
                maxLength: 19,
                description:
                  'Wall-clock DTSTART in the time zone, YYYY-MM-DDTHH:mm[:ss].',
              },
              exceptions: {
                type: 'array',
                maxLength: 500,
                items: {
                  type: 'ref',
                  ref: 'lex:dev.sundial.scheduler.defs#exception',
                },
              },
              keepCreatedAt: {
                type: 'boolean',
              },
              paused: {
                type: 'boolean',
              },
            },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['schedule'],
            properties: {
              schedule: {
                type: 'ref',
                ref: 'lex:dev.sundial.scheduler.defs#scheduleView',
              },
            },
          },
        },
        errors: [
          {
            name: 'InvalidRecurrence',
          },
          {
            name: 'InvalidRecord',
          },
          {
            name: 'ContentUrlNotAllowed',
          },
          {
            name: 'TooManyDrafts',
          },
        ],
      },
    },
  },
  DevSundialSchedulerDefs: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.defs',
    defs: {
      draftView: {
        type: 'object',
        description:
          'A write held by the scheduler, and how far its publication has got.',
        required: [
          'id',
          'uri',
          'status',
          'operation',
          'keepCreatedAt',
          'attempts',
          'hasTrigger',
          'createdAt',
          'updatedAt',
        ],
        properties: {
          id: {
            type: 'string',
          },
          uri: {
            type: 'string',
            format: 'at-uri',
            description:
              "The record's final URI, fixed when the draft was made (the first write's, for applyWrites).",
          },
          cid: {
            type: 'string',
            format: 'cid',
            description:
              'CID of the record as submitted. When createdAt is set at publish time the published CID differs; see publishedCid.',
          },
          status: {
            type: 'string',
            knownValues: [
              'draft',
              'scheduled',
              'publishing',
              'published',
              'confirmed',
              'failed',
              'cancelled',
            ],
          },
          operation: {
            type: 'string',
            knownValues: ['create', 'put', 'delete', 'applyWrites'],
          },
          collection: {
            type: 'string',
            format: 'nsid',
          },
          rkey: {
            type: 'string',
            format: 'record-key',
          },
          record: {
            type: 'unknown',
          },
          writes: {
            type: 'array',
            description:
              'applyWrites only: the writes, each with its fixed rkey.',
            items: {
              type: 'ref',
              ref: 'lex:dev.sundial.scheduler.defs#writeView',
            },
          },
          scheduledAt: {
            type: 'string',
            format: 'datetime',
          },
          keepCreatedAt: {
            type: 'boolean',
            description:
              'When false, createdAt is set to the moment of publication.',
          },
          attempts: {
            type: 'integer',
            minimum: 0,
          },
          failures: {
            type: 'integer',
            minimum: 0,
            description:
              'Attempts that failed (retries back off on this); attempts also counts claims a crash cut short.',
          },
          nextAttemptAt: {
            type: 'string',
            format: 'datetime',
          },
          lastError: {
            type: 'string',
          },
          hasTrigger: {
            type: 'boolean',
            description: 'Whether a one-time trigger URL was issued.',
          },
          triggerFiredAt: {
            type: 'string',
            format: 'datetime',
          },
          scheduleId: {
            type: 'string',
          },
          occurrenceAt: {
            type: 'string',
            format: 'datetime',
          },
          publishedUri: {
            type: 'string',
            format: 'at-uri',
          },
          publishedCid: {
            type: 'string',
            format: 'cid',
          },
          publishedAt: {
            type: 'string',
            format: 'datetime',
            description: 'When the PDS acknowledged the write.',
          },
          confirmedAt: {
            type: 'string',
            format: 'datetime',
            description: 'When the write was seen on Jetstream.',
          },
          confirmState: {
            type: 'string',
            knownValues: ['awaiting', 'confirmed', 'unconfirmed'],
          },
          confirmNote: {
            type: 'string',
            description:
              'Why a publish is shown as unconfirmed (the result of re-checking the PDS).',
          },
          createdAt: {
            type: 'string',
            format: 'datetime',
          },
          updatedAt: {
            type: 'string',
            format: 'datetime',
          },
        },
      },
      writeView: {
        type: 'object',
        required: ['action', 'collection', 'rkey', 'uri'],
        properties: {
          action: {
            type: 'string',
            knownValues: ['create', 'update', 'delete'],
          },
          collection: {
            type: 'string',
            format: 'nsid',
          },
          rkey: {
            type: 'string',
            format: 'record-key',
          },
          uri: {
            type: 'string',
            format: 'at-uri',
          },
          value: {
            type: 'unknown',
          },
        },
      },
      scheduleView: {
        type: 'object',
        description:
          'A recurring schedule: one draft per occurrence of an RFC 5545 RRULE in an IANA time zone.',
        required: [
          'id',
          'collection',
          'rrule',
          'timezone',
          'start',
          'exceptions',
          'paused',
          'status',
          'keepCreatedAt',
          'fireCount',
          'createdAt',
          'updatedAt',
        ],
        properties: {
          id: {
            type: 'string',
          },
          collection: {
            type: 'string',
            format: 'nsid',
          },
          record: {
            type: 'unknown',
            description: 'Template record published at each occurrence.',
          },
          contentUrl: {
            type: 'string',
            format: 'uri',
            description:
              'When set, the record is fetched from this URL at publish time (allow-listed hosts only).',
          },
          rrule: {
            type: 'string',
            description: 'RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,WE,FR.',
          },
          timezone: {
            type: 'string',
            description: 'IANA time zone, e.g. Europe/Berlin.',
          },
          start: {
            type: 'string',
            description:
              "Wall-clock start (DTSTART) in the schedule's time zone, YYYY-MM-DDTHH:mm[:ss], without offset.",
          },
          exceptions: {
            type: 'array',
            items: {
              type: 'ref',
              ref: 'lex:dev.sundial.scheduler.defs#exception',
            },
          },
          paused: {
            type: 'boolean',
          },
          status: {
            type: 'string',
            knownValues: ['active', 'completed'],
          },
          keepCreatedAt: {
            type: 'boolean',
          },
          nextOccurrenceAt: {
            type: 'string',
            format: 'datetime',
          },
          pendingDraftId: {
            type: 'string',
            description: 'The draft waiting for the next occurrence.',
          },
          fireCount: {
            type: 'integer',
            minimum: 0,
          },
          upcoming: {
            type: 'array',
            description:
              'The next occurrences after exceptions (getSchedule only).',
            items: {
              type: 'string',
              format: 'datetime',
            },
          },
          createdAt: {
            type: 'string',
            format: 'datetime',
          },
          updatedAt: {
            type: 'string',
            format: 'datetime',
          },
        },
      },
      exception: {
        type: 'object',
        description:
          'Changes one occurrence: skip it, move it, or publish a different record.',
        required: ['occurrence'],
        properties: {
          occurrence: {
            type: 'string',
            format: 'datetime',
            description: 'The occurrence as the rule generates it.',
          },
          skip: {
            type: 'boolean',
          },
          moveTo: {
            type: 'string',
            format: 'datetime',
          },
          record: {
            type: 'unknown',
            description:
              'Record published for this occurrence instead of the template.',
          },
        },
      },
    },
  },
  DevSundialSchedulerDeleteCredentials: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.deleteCredentials',
    defs: {
      main: {
        type: 'procedure',
        description:
          "Forgets the requesting account's stored app password or OAuth session. Requires auth.",
      },
    },
  },
  DevSundialSchedulerDeleteDraft: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.deleteDraft',
    defs: {
      main: {
        type: 'procedure',
        description:
          'Cancels a draft that has not been published; removes the entry of a finished one. A draft being published cannot be deleted. Requires auth.',
        input: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['id'],
            properties: {
              id: {
                type: 'string',
                maxLength: 64,
              },
            },
          },
        },
        errors: [
          {
            name: 'DraftNotFound',
          },
          {
            name: 'InvalidDraftState',
          },
        ],
      },
    },
  },
  DevSundialSchedulerDeleteSchedule: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.deleteSchedule',
    defs: {
      main: {
        type: 'procedure',
        description:
          'Deletes a schedule and cancels its pending occurrence. Requires auth.',
        input: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['id'],
            properties: {
              id: {
                type: 'string',
                maxLength: 64,
              },
            },
          },
        },
        errors: [
          {
            name: 'ScheduleNotFound',
          },
        ],
      },
    },
  },
  DevSundialSchedulerGetAuthStatus: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.getAuthStatus',
    defs: {
      main: {
        type: 'query',
        description:
          'Whether the scheduler can publish for the requesting account, and how. Requires auth.',
        output: {
          encoding: 'application/json',
          schema: {
            type: 'ref',
            ref: 'lex:dev.sundial.scheduler.getAuthStatus#authStatus',
          },
        },
      },
      authStatus: {
        type: 'object',
        required: ['did', 'authorized'],
        properties: {
          did: {
            type: 'string',
            format: 'did',
          },
          authorized: {
            type: 'boolean',
          },
          kind: {
            type: 'string',
            knownValues: ['app_password', 'oauth'],
          },
          pdsUrl: {
            type: 'string',
            format: 'uri',
          },
          status: {
            type: 'string',
            knownValues: ['active', 'revoked'],
          },
          lastError: {
            type: 'string',
          },
        },
      },
    },
  },
  DevSundialSchedulerGetDraft: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.getDraft',
    defs: {
      main: {
        type: 'query',
        description: "One of the requesting account's drafts. Requires auth.",
        parameters: {
          type: 'params',
          required: ['id'],
          properties: {
            id: {
              type: 'string',
              maxLength: 64,
            },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['draft'],
            properties: {
              draft: {
                type: 'ref',
                ref: 'lex:dev.sundial.scheduler.defs#draftView',
              },
            },
          },
        },
        errors: [
          {
            name: 'DraftNotFound',
          },
        ],
      },
    },
  },
  DevSundialSchedulerGetSchedule: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.getSchedule',
    defs: {
      main: {
        type: 'query',
        description: 'One schedule with its next occurrences. Requires auth.',
        parameters: {
          type: 'params',
          required: ['id'],
          properties: {
            id: {
              type: 'string',
              maxLength: 64,
            },
            upcoming: {
              type: 'integer',
              minimum: 0,
              maximum: 50,
              default: 5,
            },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['schedule'],
            properties: {
              schedule: {
                type: 'ref',
                ref: 'lex:dev.sundial.scheduler.defs#scheduleView',
              },
            },
          },
        },
        errors: [
          {
            name: 'ScheduleNotFound',
          },
        ],
      },
    },
  },
  DevSundialSchedulerListDrafts: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.listDrafts',
    defs: {
      main: {
        type: 'query',
        description:
          "The requesting account's drafts, newest first. Requires auth.",
        parameters: {
          type: 'params',
          properties: {
            status: {
              type: 'array',
              maxLength: 7,
              items: {
                type: 'string',
                knownValues: [
                  'draft',
                  'scheduled',
                  'publishing',
                  'published',
                  'confirmed',
                  'failed',
                  'cancelled',
                ],
              },
              description: 'Only drafts in these states.',
            },
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: 100,
              default: 50,
            },
            cursor: {
              type: 'string',
            },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['drafts'],
            properties: {
              cursor: {
                type: 'string',
              },
              drafts: {
                type: 'array',
                items: {
                  type: 'ref',
                  ref: 'lex:dev.sundial.scheduler.defs#draftView',
                },
              },
            },
          },
        },
        errors: [
          {
            name: 'InvalidCursor',
          },
        ],
      },
    },
  },
  DevSundialSchedulerListSchedules: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.listSchedules',
    defs: {
      main: {
        type: 'query',
        description:
          "The requesting account's schedules, newest first. Requires auth.",
        parameters: {
          type: 'params',
          properties: {
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: 100,
              default: 50,
            },
            cursor: {
              type: 'string',
            },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['schedules'],
            properties: {
              cursor: {
                type: 'string',
              },
              schedules: {
                type: 'array',
                items: {
                  type: 'ref',
                  ref: 'lex:dev.sundial.scheduler.defs#scheduleView',
                },
              },
            },
          },
        },
        errors: [
          {
            name: 'InvalidCursor',
          },
        ],
      },
    },
  },
  DevSundialSchedulerPublishDraftNow: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.publishDraftNow',
    defs: {
      main: {
        type: 'procedure',
        description:
          'Publishes a draft as soon as possible (also retries a failed one). Requires auth.',
        input: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['id'],
            properties: {
              id: {
                type: 'string',
                maxLength: 64,
              },
            },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['draft'],
            properties: {
              draft: {
                type: 'ref',
                ref: 'lex:dev.sundial.scheduler.defs#draftView',
              },
            },
          },
        },
        errors: [
          {
            name: 'DraftNotFound',
          },
          {
            name: 'InvalidDraftState',
          },
        ],
      },
    },
  },
  DevSundialSchedulerPutAppPassword: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.putAppPassword',
    defs: {
      main: {
        type: 'procedure',
        description:
          "Stores (encrypted) an app password the scheduler uses to publish for the requesting account. It is checked against the account's PDS first. Requires auth.",
        input: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['appPassword'],
            properties: {
              identifier: {
                type: 'string',
                maxLength: 256,
                description:
                  'Handle or DID to sign in with; defaults to the requesting DID.',
              },
              appPassword: {
                type: 'string',
                maxLength: 256,
              },
            },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'ref',
            ref: 'lex:dev.sundial.scheduler.getAuthStatus#authStatus',
          },
        },
        errors: [
          {
            name: 'InvalidAppPassword',
          },
          {
            name: 'AccountMismatch',
            description: 'The password signs in to a different account.',
          },
        ],
      },
    },
  },
  DevSundialSchedulerUpdateDraft: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.updateDraft',
    defs: {
      main: {
        type: 'procedure',
        description:
          'Changes a draft that has not been published yet: its record, its time, or whether it keeps its own createdAt. Requires auth.',
        input: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['id'],
            properties: {
              id: {
                type: 'string',
                maxLength: 64,
              },
              record: {
                type: 'unknown',
                description:
                  'Replacement record (create and put drafts). Its $type must match the collection.',
              },
              scheduledAt: {
                type: 'string',
                format: 'datetime',
                description: 'New publish time; the draft becomes scheduled.',
              },
              unschedule: {
                type: 'boolean',
                description:
                  'Turn a scheduled draft back into an unscheduled one.',
              },
              keepCreatedAt: {
                type: 'boolean',
              },
            },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['draft'],
            properties: {
              draft: {
                type: 'ref',
                ref: 'lex:dev.sundial.scheduler.defs#draftView',
              },
            },
          },
        },
        errors: [
          {
            name: 'DraftNotFound',
          },
          {
            name: 'InvalidDraftState',
            description: 'The draft is publishing or already published.',
          },
          {
            name: 'InvalidRecord',
          },
        ],
      },
    },
  },
  DevSundialSchedulerUpdateSchedule: {
    lexicon: 1,
    id: 'dev.sundial.scheduler.updateSchedule',
    defs: {
      main: {
        type: 'procedure',
        description:
          'Changes a schedule: pause or resume it, edit its rule, record or exceptions. The pending occurrence is re-planned. Requires auth.',
        input: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['id'],
            properties: {
              id: {
                type: 'string',
                maxLength: 64,
              },
              paused: {
                type: 'boolean',
              },
              record: {
                type: 'unknown',
                description:
                  'Template record; createdAt is set at each publish unless keepCreatedAt.',
              },
              contentUrl: {
                type: 'string',
                format: 'uri',
                description:
                  'Fetched at publish time instead of a fixed record; its host must be allow-listed by the operator.',
              },
              rrule: {
                type: 'string',
                maxLength: 1000,
                description:
                  'RFC 5545 RRULE (without DTSTART), e.g. FREQ=DAILY;COUNT=10.',
              },
              timezone: {
                type: 'string',
                maxLength: 64,
                description:
                  "IANA time zone the rule's wall-clock times are in.",
              },
              start: {
                type: 'string',
                maxLength: 19,
                description:
                  'Wall-clock DTSTART in the time zone, YYYY-MM-DDTHH:mm[:ss].',
              },
              exceptions: {
                type: 'array',
                maxLength: 500,
                items: {
                  type: 'ref',
                  ref: 'lex:dev.sundial.scheduler.defs#exception',
                },
              },
              keepCreatedAt: {
                type: 'boolean',
              },
            },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['schedule'],
            properties: {
              schedule: {
                type: 'ref',
                ref: 'lex:dev.sundial.scheduler.defs#scheduleView',
              },
            },
          },
        },
        errors: [
          {
            name: 'ScheduleNotFound',
          },
          {
            name: 'InvalidRecurrence',
          },
          {
            name: 'InvalidRecord',
          },
          {
            name: 'ContentUrlNotAllowed',
          },
        ],
      },
    },
  },
} as const satisfies Record<string, LexiconDoc>
export const schemas = Object.values(schemaDict) satisfies LexiconDoc[]
export const lexicons: Lexicons = new Lexicons(schemas)

export function validate<T extends { $type: string }>(
  v: unknown,
  id: string,
  hash: string,
  requiredType: true,
): ValidationResult<T>
export function validate<T extends { $type?: string }>(
  v: unknown,
  id: string,
  hash: string,
  requiredType?: false,
): ValidationResult<T>
export function validate(
  v: unknown,
  id: string,
  hash: string,
  requiredType?: boolean,
): ValidationResult {
  return (requiredType ? is$typed : maybe$typed)(v, id, hash)
    ? lexicons.validate(`${id}#${hash}`, v)
    : {
        success: false,
        error: new ValidationError(
          `Must be an object with "${hash === 'main' ? id : `${id}#${hash}`}" $type property`,
        ),
      }
}

export const ids = {
  DevSundialDefs: 'dev.sundial.defs',
  DevSundialFeedGetTimeline: 'dev.sundial.feed.getTimeline',
  DevSundialFeedGetTimelineStatus: 'dev.sundial.feed.getTimelineStatus',
  DevSundialSchedulerCreateSchedule: 'dev.sundial.scheduler.createSchedule',
  DevSundialSchedulerDefs: 'dev.sundial.scheduler.defs',
  DevSundialSchedulerDeleteCredentials:
    'dev.sundial.scheduler.deleteCredentials',
  DevSundialSchedulerDeleteDraft: 'dev.sundial.scheduler.deleteDraft',
  DevSundialSchedulerDeleteSchedule: 'dev.sundial.scheduler.deleteSchedule',
  DevSundialSchedulerGetAuthStatus: 'dev.sundial.scheduler.getAuthStatus',
  DevSundialSchedulerGetDraft: 'dev.sundial.scheduler.getDraft',
  DevSundialSchedulerGetSchedule: 'dev.sundial.scheduler.getSchedule',
  DevSundialSchedulerListDrafts: 'dev.sundial.scheduler.listDrafts',
  DevSundialSchedulerListSchedules: 'dev.sundial.scheduler.listSchedules',
  DevSundialSchedulerPublishDraftNow: 'dev.sundial.scheduler.publishDraftNow',
  DevSundialSchedulerPutAppPassword: 'dev.sundial.scheduler.putAppPassword',
  DevSundialSchedulerUpdateDraft: 'dev.sundial.scheduler.updateDraft',
  DevSundialSchedulerUpdateSchedule: 'dev.sundial.scheduler.updateSchedule',
} as const
