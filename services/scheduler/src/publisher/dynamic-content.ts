import type { JsonRecord } from '../records/record-cid.ts'

export type ContentResult =
  { ok: true; record: JsonRecord } | { ok: false; permanent: boolean; reason: string }

/**
 * Fetches a schedule's record from its content URL at publish time. Only operator-allow-listed hosts, only
 * http(s), a bounded body, and a JSON object is required; the occurrence is passed as query parameters.
 */
export async function fetchDynamicContent(
  contentUrl: string,
  opts: {
    allowedHosts: string[]
    occurrenceAt: Date | null
    fireCount: number
    maxBytes: number
    timeoutMs: number
    fetch: typeof globalThis.fetch
  },
): Promise<ContentResult> {
  let url: URL
  try {
    url = new URL(contentUrl)
  } catch {
    return { ok: false, permanent: true, reason: 'ContentUrlInvalid: not a URL' }
  }
  if (!isAllowedContentUrl(url, opts.allowedHosts)) {
    return { ok: false, permanent: true, reason: `ContentUrlNotAllowed: ${url.host} is not allow-listed` }
  }
  if (opts.occurrenceAt) url.searchParams.set('occurrence', opts.occurrenceAt.toISOString())
  url.searchParams.set('fireCount', String(opts.fireCount))
  let res: Response
  try {
    res = await opts.fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(opts.timeoutMs),
    })
  } catch (err) {
    return { ok: false, permanent: false, reason: `ContentUrlUnreachable: ${(err as Error).message}` }
  }
  if (!res.ok) {
    await res.body?.cancel()
    return { ok: false, permanent: res.status < 500, reason: `ContentUrlStatus: ${res.status}` }
  }
  const text = await res.text()
  if (Buffer.byteLength(text) > opts.maxBytes) {
    return { ok: false, permanent: true, reason: 'ContentUrlTooLarge' }
  }
  try {
    const body = JSON.parse(text) as unknown
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object')
    return { ok: true, record: body as JsonRecord }
  } catch {
    return { ok: false, permanent: true, reason: 'ContentUrlInvalidJson: the response is not a JSON object' }
  }
}

export function isAllowedContentUrl(url: URL, allowedHosts: string[]): boolean {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false
  return allowedHosts.includes(url.host.toLowerCase()) || allowedHosts.includes(url.hostname.toLowerCase())
}
