import { describe, expect, it } from 'vitest'
import { nearbyHost } from './pds-client.ts'

describe('nearbyHost', () => {
  it('takes localhost, loopback and private-network addresses as nearby', () => {
    for (const host of [
      'localhost',
      'pds.localhost',
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.5',
      '192.168.1.9',
      '[::1]',
      '[fd12::1]',
    ]) {
      expect(nearbyHost(host), host).toBe(true)
    }
  })

  it('takes public addresses and names as remote', () => {
    for (const host of [
      'bsky.social',
      'pds.example.com',
      '8.8.8.8',
      '172.32.0.1',
      '[2001:db8::1]',
      'localhost.example',
    ]) {
      expect(nearbyHost(host), host).toBe(false)
    }
  })
})
