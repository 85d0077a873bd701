import { describe, expect, it } from 'vitest'
import { ImageUrlBuilder } from './image-url.ts'

describe('image URLs', () => {
  it('points at the account PDS by default', () => {
    const images = new ImageUrlBuilder({ publicUrl: 'https://sundial.example/' })
    expect(images.url('avatar', 'did:plc:abc', 'bafkrei1', 'https://pds.example/')).toBe(
      'https://pds.example/xrpc/com.atproto.sync.getBlob?did=did:plc:abc&cid=bafkrei1',
    )
    // A did:web with a port keeps its %3A, escaped once more inside the URL.
    expect(images.url('avatar', 'did:web:localhost%3A2583', 'bafkrei1', 'http://localhost:2583')).toBe(
      'http://localhost:2583/xrpc/com.atproto.sync.getBlob?did=did:web:localhost%253A2583&cid=bafkrei1',
    )
  })

  it('goes through our redirect when the PDS is not known yet', () => {
    const images = new ImageUrlBuilder({ publicUrl: 'https://sundial.example' })
    expect(images.url('feed_thumbnail', 'did:plc:abc', 'bafkrei1', null)).toBe(
      'https://sundial.example/blob/did:plc:abc/bafkrei1',
    )
  })

  it('fills a CDN pattern', () => {
    const images = new ImageUrlBuilder({
      publicUrl: 'https://sundial.example',
      pattern: 'https://cdn.example/img/{preset}/plain/{did}/{cid}@jpeg',
    })
    expect(images.url('feed_fullsize', 'did:plc:abc', 'bafkrei1', null)).toBe(
      'https://cdn.example/img/feed_fullsize/plain/did:plc:abc/bafkrei1@jpeg',
    )
  })
})
