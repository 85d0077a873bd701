const S32 = '234567abcdefghijklmnopqrstuvwxyz'

/**
 * Record keys in the atproto TID format (13 base32-sortable characters: microseconds since the epoch and a
 * 10-bit clock id), strictly increasing within this generator so two drafts made in the same microsecond
 * still get distinct keys. Each process picks a random clock id, as the PDS does.
 */
export class TidGenerator {
  private last = 0
  private readonly clockId: number

  constructor(clockId = Math.floor(Math.random() * 1024)) {
    this.clockId = clockId & 0x3ff
  }

  next(nowUs = Date.now() * 1000): string {
    const us = Math.max(nowUs, this.last + 1)
    this.last = us
    return encode(BigInt(us) * 1024n + BigInt(this.clockId))
  }
}

function encode(value: bigint): string {
  let out = ''
  let v = value
  for (let i = 0; i < 13; i++) {
    out = S32[Number(v & 31n)] + out
    v >>= 5n
  }
  return out
}
