import { describe, expect, it } from 'vitest'
import { decode, encode } from '@atproto/lex-cbor'
import { parseCid } from '@atproto/lex-data'
import { recordToJson } from './record-json.ts'

describe('recordToJson', () => {
  it('renders links, bytes and blob refs as Jetstream does, with sorted keys', () => {
    const image = parseCid('bafkreicwsq23gkygrgpijv7ocssxdyjokfv3quss3f2dg4csds3jpeqkwe')
    const link = parseCid('bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i')
    const cbor = encode({
      text: 'hi',
      $type: 'app.bsky.feed.post',
      createdAt: '2026-07-04T14:38:08.999Z',
      embed: {
        $type: 'com.example.embed',
        blob: { $type: 'blob', ref: image, mimeType: 'image/jpeg', size: 7 },
      },
      extra: { raw: new Uint8Array([1, 2, 3, 4]), link },
    })
    const json = recordToJson(decode(cbor))
    expect(JSON.stringify(json)).toBe(
      JSON.stringify({
        $type: 'app.bsky.feed.post',
        createdAt: '2026-07-04T14:38:08.999Z',
        embed: {
          $type: 'com.example.embed',
          blob: { $type: 'blob', ref: { $link: image.toString() }, mimeType: 'image/jpeg', size: 7 },
        },
        extra: { link: { $link: link.toString() }, raw: { $bytes: 'AQIDBA' } },
        text: 'hi',
      }),
    )
  })
})
