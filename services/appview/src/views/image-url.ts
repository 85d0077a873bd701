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

/** Percent-encodes what a URL cannot carry raw, keeping DIDs readable (`did:plc:…`). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ':')
}

export class ImageUrlBuilder {
  private pattern: string
  private publicUrl: string

  constructor(opts: ImageUrlOptions) {
    this.pattern = opts.pattern ?? DEFAULT_IMAGE_URL_PATTERN
    this.publicUrl = opts.publicUrl.replace(/\/+$/, '')
  }

  url(preset: ImagePreset, did: string, cid: string, pdsEndpoint: string | null): string {
    if (this.pattern.includes('{pds}') && !pdsEndpoint) {
      return `${this.publicUrl}/blob/${encode(did)}/${encode(cid)}`
    }
    return this.pattern
      .replaceAll('{pds}', (pdsEndpoint ?? '').replace(/\/+$/, ''))
      .replaceAll('{preset}', preset)
      .replaceAll('{did}', encode(did))
      .replaceAll('{cid}', encode(cid))
  }
}
