import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createSchedulerLogger } from '../logger.ts'
import { SecretBox, loadEncryptionKey, parseEncryptionKey } from './encryption.ts'

describe('SecretBox', () => {
  const box = SecretBox.fromKey(Buffer.alloc(32, 7))

  it('round-trips and binds the ciphertext to its context', () => {
    const sealed = box.encryptJson({ password: 'abcd-efgh' }, 'credential:did:plc:a')
    expect(sealed.toString('utf8')).not.toContain('abcd')
    expect(box.decryptJson(sealed, 'credential:did:plc:a')).toEqual({ password: 'abcd-efgh' })
    expect(() => box.decrypt(sealed, 'credential:did:plc:b')).toThrow()
  })

  it('rejects tampered ciphertext', () => {
    const sealed = box.encrypt('secret', 'ctx')
    sealed[sealed.length - 1] ^= 1
    expect(() => box.decrypt(sealed, 'ctx')).toThrow()
  })

  it('parses hex and base64 keys and refuses other lengths', () => {
    expect(parseEncryptionKey('ab'.repeat(32))).toHaveLength(32)
    expect(parseEncryptionKey(Buffer.alloc(32, 1).toString('base64'))).toHaveLength(32)
    expect(() => parseEncryptionKey('short')).toThrow(/ENCRYPTION_KEY/)
  })

  it('generates a key file once when no key is configured', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sched-key-'))
    try {
      const log = createSchedulerLogger('silent')
      const first = await loadEncryptionKey(undefined, dir, log)
      const second = await loadEncryptionKey(undefined, dir, log)
      expect(first.equals(second)).toBe(true)
      const file = path.join(dir, 'scheduler-encryption.key')
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect((await readFile(file, 'utf8')).trim()).toHaveLength(64)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
