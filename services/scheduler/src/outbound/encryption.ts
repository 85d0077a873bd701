import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from '../logger.ts'

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * AES-256-GCM for secrets at rest. Each ciphertext is bound to a context string (e.g. the row it lives in)
 * through the additional authenticated data, so a value copied into another row does not decrypt.
 * Layout: version byte | 12-byte IV | 16-byte tag | ciphertext.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new Error('encryption key must be 32 bytes')
    return new SecretBox(key)
  }

  encrypt(plaintext: string | Buffer, context: string): Buffer {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body])
  }

  decrypt(sealed: Buffer, context: string): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
      throw new Error('unrecognised ciphertext')
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES)
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES)
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv)
    decipher.setAAD(Buffer.from(context, 'utf8'))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()])
  }

  encryptJson(value: unknown, context: string): Buffer {
    return this.encrypt(JSON.stringify(value), context)
  }

  decryptJson<T>(sealed: Buffer, context: string): T {
    return JSON.parse(this.decrypt(sealed, context).toString('utf8')) as T
  }
}

/** Accepts 64 hex characters or base64(url) of 32 bytes. */
export function parseEncryptionKey(raw: string): Buffer {
  const trimmed = raw.trim()
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64')
  if (key.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64')
  return key
}

/**
 * The configured key, or one generated once and kept in `<dataDir>/scheduler-encryption.key` (mode 600).
 * Losing that file makes stored credentials unreadable, hence the warning.
 */
export async function loadEncryptionKey(
  configured: string | undefined,
  dataDir: string,
  log: Logger,
): Promise<Buffer> {
  if (configured) return parseEncryptionKey(configured)
  const file = path.join(dataDir, 'scheduler-encryption.key')
  try {
    return parseEncryptionKey(await readFile(file, 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await mkdir(dataDir, { recursive: true })
  const key = randomBytes(32)
  try {
    await writeFile(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
  } catch (err) {
    // Another replica sharing the directory wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      return parseEncryptionKey(await readFile(file, 'utf8'))
    throw err
  }
  await chmod(file, 0o600)
  log.warn(
    { file },
    'ENCRYPTION_KEY is not set: generated one for stored credentials; back this file up or set ENCRYPTION_KEY',
  )
  return key
}
