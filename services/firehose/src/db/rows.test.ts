import { describe, expect, it } from 'vitest'
import { arrayLiteral, column } from './rows.ts'

describe('arrayLiteral', () => {
  it('joins plain text in one go', () => {
    expect(arrayLiteral(['at://did:plc:abc/app.bsky.feed.like/3l', 'did:plc:abc'])).toBe(
      '{"at://did:plc:abc/app.bsky.feed.like/3l","did:plc:abc"}',
    )
    expect(arrayLiteral(['2026-11-23T14:31:17.000Z'])).toBe('{"2026-11-23T14:31:17.000Z"}')
  })

  it('writes numbers as they print', () => {
    expect(arrayLiteral([1732370000000000, 0, -3])).toBe('{1732370000000000,0,-3}')
  })

  it('keeps the empty array and empty strings apart', () => {
    expect(arrayLiteral([])).toBe('{}')
    expect(arrayLiteral([''])).toBe('{""}')
    expect(arrayLiteral(['', ''])).toBe('{"",""}')
  })

  it('escapes quotes and backslashes', () => {
    expect(arrayLiteral(['say "hi"', 'a\\b'])).toBe('{"say \\"hi\\"","a\\\\b"}')
    expect(arrayLiteral(['plain', '\\"'])).toBe('{"plain","\\\\\\""}')
  })

  it('keeps null and undefined as NULL, and the word NULL as text', () => {
    expect(arrayLiteral(['a', null, undefined])).toBe('{"a",NULL,NULL}')
    expect(arrayLiteral([null])).toBe('{NULL}')
    expect(arrayLiteral(['NULL'])).toBe('{"NULL"}')
  })

  it('quotes every element when text and numbers mix', () => {
    expect(arrayLiteral(['a', 1])).toBe('{"a","1"}')
  })

  it('leaves the separators and braces inside quotes alone', () => {
    expect(arrayLiteral(['a,b', '{c}', ' d '])).toBe('{"a,b","{c}"," d "}')
  })
})

describe('column', () => {
  it('takes one key of every row', () => {
    const rows = [
      { uri: 'at://a', timeUs: 1 },
      { uri: 'at://b', timeUs: 2 },
    ]
    expect(column(rows, 'uri')).toBe('{"at://a","at://b"}')
    expect(column(rows, 'timeUs')).toBe('{1,2}')
  })
})
