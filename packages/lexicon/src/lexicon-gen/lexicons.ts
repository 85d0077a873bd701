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
              description: 'Leave out replies (posts with a reply reference).',
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
                'Only items sorted at or after this time (inclusive).',
            },
            until: {
              type: 'string',
              format: 'datetime',
              description: 'Only items sorted before this time (exclusive).',
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
} as const
