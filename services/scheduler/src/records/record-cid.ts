import { createHash } from 'node:crypto'
import { cidForRawHash } from '@atproto/lex-data'
import { jsonToLex } from '@atproto/lex-json'
import type { JsonValue } from '@atproto/lex-json'
import type { LexValue } from '@atproto/lex-data'
import { cidForRecord } from '@atproto/repo'

export type JsonRecord = Record<string, unknown>

/**
 * The CID the PDS will give this record: it parses the JSON body with @atproto/lex-json and hashes the
 * DAG-CBOR encoding, so we do the same on the JSON we will send.
 */
export async function recordCid(record: JsonRecord): Promise<string> {
  return (await cidForRecord(jsonToLex(record as JsonValue) as LexValue)).toString()
}

/** CIDv1, raw codec, sha-256: how a PDS names uploaded blobs. */
export function blobCid(bytes: Uint8Array): string {
  return cidForRawHash(createHash('sha256').update(bytes).digest()).toString()
}
