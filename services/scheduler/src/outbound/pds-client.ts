import { lexicons } from '@atproto/api'
import type { BlobRef } from '@atproto/lexicon'
import { XrpcClient } from '@atproto/xrpc'
import type { FetchHandler, FetchHandlerObject } from '@atproto/xrpc'

const JSON_CALL = { encoding: 'application/json' } as const

export interface CommitMeta {
  cid: string
  rev: string
}

/**
 * The few repo methods the publisher needs, over an authenticated fetch handler (an app-password session or
 * an OAuth DPoP session). All clients share @atproto/api's one Lexicons instance: building an Agent per user
 * would rebuild the whole lexicon set each time, which dominates CPU when thousands of accounts publish.
 */
export class PdsClient {
  private readonly xrpc: XrpcClient

  constructor(handler: FetchHandler | FetchHandlerObject) {
    this.xrpc = new XrpcClient(handler, lexicons)
  }

  async putRecord(input: {
    repo: string
    collection: string
    rkey: string
    record: Record<string, unknown>
    validate?: boolean
    swapRecord?: string | null
  }): Promise<{ uri: string; cid: string; commit?: CommitMeta }> {
    return (await this.xrpc.call('com.atproto.repo.putRecord', undefined, input, JSON_CALL)).data
  }

  async deleteRecord(input: {
    repo: string
    collection: string
    rkey: string
  }): Promise<{ commit?: CommitMeta }> {
    return (await this.xrpc.call('com.atproto.repo.deleteRecord', undefined, input, JSON_CALL)).data
  }

  async applyWrites(input: {
    repo: string
    validate?: boolean
    writes: Array<Record<string, unknown>>
  }): Promise<{ commit?: CommitMeta; results?: Array<{ cid?: string }> }> {
    return (await this.xrpc.call('com.atproto.repo.applyWrites', undefined, input, JSON_CALL)).data
  }

  async getRecord(params: {
    repo: string
    collection: string
    rkey: string
  }): Promise<{ cid?: string; value: unknown }> {
    return (await this.xrpc.call('com.atproto.repo.getRecord', params)).data
  }

  async uploadBlob(bytes: Uint8Array, mimeType: string): Promise<{ blob: BlobRef }> {
    return (await this.xrpc.call('com.atproto.repo.uploadBlob', undefined, bytes, { encoding: mimeType }))
      .data
  }
}

export interface SessionTokens {
  did: string
  handle?: string
  accessJwt: string
  refreshJwt: string
}

/** com.atproto.server.createSession with an identifier and an (app) password. */
export async function createSession(
  pdsUrl: string,
  identifier: string,
  password: string,
  fetchImpl: typeof globalThis.fetch,
): Promise<SessionTokens> {
  const client = new XrpcClient({ service: pdsUrl, fetch: fetchImpl }, lexicons)
  const res = await client.call(
    'com.atproto.server.createSession',
    undefined,
    { identifier, password },
    JSON_CALL,
  )
  const { did, handle, accessJwt, refreshJwt } = res.data as SessionTokens
  return { did, handle, accessJwt, refreshJwt }
}

/**
 * Bearer-token session for an app password: adds the access token, and when the PDS says it expired,
 * refreshes once (single-flight) and repeats the request. If refreshing fails the PDS's answer is returned
 * as is; the caller then signs in again or gives up.
 */
export class AppPasswordSession implements FetchHandlerObject {
  private refreshing: Promise<boolean> | undefined

  constructor(
    private readonly pdsUrl: string,
    private tokens: SessionTokens,
    private readonly fetchImpl: typeof globalThis.fetch,
    private readonly onRefresh: (tokens: SessionTokens) => void,
  ) {}

  async fetchHandler(path: string, init: RequestInit): Promise<Response> {
    const first = await this.send(path, init, this.tokens.accessJwt)
    if (!(await isExpired(first))) return first
    const used = this.tokens.accessJwt
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined))
    if (!(await this.refreshing) || this.tokens.accessJwt === used) return first
    await first.body?.cancel()
    return this.send(path, init, this.tokens.accessJwt)
  }

  private send(path: string, init: RequestInit, token: string): Promise<Response> {
    const headers = new Headers(init.headers)
    headers.set('authorization', `Bearer ${token}`)
    return this.fetchImpl(new URL(path, this.pdsUrl), { ...init, headers })
  }

  private async refresh(): Promise<boolean> {
    const res = await this.fetchImpl(new URL('/xrpc/com.atproto.server.refreshSession', this.pdsUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${this.tokens.refreshJwt}` },
    }).catch(() => null)
    if (!res?.ok) {
      await res?.body?.cancel()
      return false
    }
    const data = (await res.json()) as SessionTokens
    if (data.did !== this.tokens.did) return false
    this.tokens = {
      did: data.did,
      handle: data.handle,
      accessJwt: data.accessJwt,
      refreshJwt: data.refreshJwt,
    }
    this.onRefresh(this.tokens)
    return true
  }
}

async function isExpired(res: Response): Promise<boolean> {
  if (res.status === 401) return true
  if (res.status !== 400) return false
  const body = (await res
    .clone()
    .json()
    .catch(() => ({}))) as { error?: string }
  return body.error === 'ExpiredToken'
}
