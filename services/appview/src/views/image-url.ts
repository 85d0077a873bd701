export type ImagePreset = 'avatar' | 'banner' | 'feed_thumbnail' | 'feed_fullsize'

/** Serves blobs straight from the owner's PDS. */
export const DEFAULT_IMAGE_URL_PATTERN = '{pds}/xrpc/com.atproto.sync.getBlob?did={did}&cid={cid}'

export interface ImageUrlOptions {
  /**
   * URL template with `{did}`, `{cid}`, `{preset}` (avatar, banner, feed_thumbnail, feed_fullsize) and `{pds}`
   * (the account's PDS). Default {@link DEFAULT_IMAGE_URL_PATTERN}; a CDN looks like
   * `https://cdn.example/img/{preset}/plain/{did}/{cid}@jpeg`.
   */
  pattern?: string
  /** Our public URL: when an account's PDS is not known yet, `{pds}` URLs go through our `/blob` redirect. */
  publicUrl: string
}

const URL_SAFE = /^[A-Za-z0-9:._~-]*$/

/** Percent-encodes what a URL cannot carry raw, keeping DIDs readable (`did:plc:…`). */
function encode(value: string): string {
  // DIDs and CIDs almost always need no encoding; this runs for every image of every page.
  if (URL_SAFE.test(value)) return value
  return encodeURIComponent(value).replace(/%3A/gi, ':')
}

type Part = string | 'pds' | 'preset' | 'did' | 'cid'
const PLACEHOLDER = /\{(pds|preset|did|cid)\}/g

export class ImageUrlBuilder {
  private usesPds: boolean
  private publicUrl: string
  /** The pattern split once into literal text and placeholders (odd indexes). */
  private parts: Part[]

  constructor(opts: ImageUrlOptions) {
    const pattern = opts.pattern ?? DEFAULT_IMAGE_URL_PATTERN
    this.usesPds = pattern.includes('{pds}')
    this.publicUrl = opts.publicUrl.replace(/\/+$/, '')
    this.parts = pattern.split(PLACEHOLDER)
  }

  url(preset: ImagePreset, did: string, cid: string, pdsEndpoint: string | null): string {
    if (this.usesPds && !pdsEndpoint) {
      return `${this.publicUrl}/blob/${encode(did)}/${encode(cid)}`
    }
    let url = ''
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i]
      if (i % 2 === 0) url += part
      else if (part === 'pds') url += trimSlashes(pdsEndpoint ?? '')
      else if (part === 'preset') url += preset
      else if (part === 'did') url += encode(did)
      else url += encode(cid)
    }
    return url
  }
}

function trimSlashes(url: string): string {
  return url.endsWith('/') ? url.replace(/\/+$/, '') : url
}
