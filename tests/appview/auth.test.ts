import { Secp256k1Keypair } from '@atproto/crypto'
import type { Keypair } from '@atproto/crypto'
import { createServiceJwt } from '@atproto/xrpc-server'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startHarness } from './harness.ts'
import type { Harness, TestUser } from './harness.ts'

// Service JWTs with real keys from a dev-env PDS: valid ones pass, every kind of bad one is a 401.

let h: Harness
let alice: TestUser
let aliceKey: Keypair
const TIMELINE = 'app.bsky.feed.getTimeline'
const PROFILE = 'app.bsky.actor.getProfile'

beforeAll(async () => {
  // This file also covers an AppView given only a query handle (statements not prepared).
  h = await startHarness(inject('pgAdminUrl'), { queryHandleOnly: true })
  alice = await h.createUser('alice')
  await h.seed.actor(alice.did, alice.handle)
  aliceKey = await h.network.pds.ctx.actorStore.keypair(alice.did)
})

afterAll(async () => {
  await h?.close()
})

async function call(nsid: string, authorization?: string, query = '') {
  const headers: Record<string, string> = authorization ? { authorization } : {}
  const res = await fetch(`${h.appview.url}/xrpc/${nsid}${query}`, { headers })
  const body = (await res.json()) as { error?: string; message?: string }
  return { status: res.status, body }
}

async function issued(aud: string, lxm: string): Promise<string> {
  const { data } = await alice.pds.com.atproto.server.getServiceAuth({ aud, lxm })
  return data.token
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A JWT with any header and payload, signed by `key`. */
async function signed(key: Keypair, header: Record<string, unknown>, payload: Record<string, unknown>) {
  const body = `${b64(header)}.${b64(payload)}`
  const sig = Buffer.from(await key.sign(Buffer.from(body, 'utf8'))).toString('base64url')
  return `${body}.${sig}`
}

const now = () => Math.floor(Date.now() / 1000)

describe('service auth', () => {
  it('accepts a token its PDS issued for us and this method', async () => {
    const res = await call(TIMELINE, `Bearer ${await issued(h.cfg.serviceDid, TIMELINE)}`)
    expect(res.status).toBe(200)
    // A token minted directly with the account's key is equally good.
    const direct = await createServiceJwt({
      iss: alice.did,
      aud: h.cfg.serviceDid,
      lxm: TIMELINE,
      keypair: aliceKey,
    })
    expect((await call(TIMELINE, `Bearer ${direct}`)).status).toBe(200)
  })

  it('rejects missing and malformed credentials', async () => {
    expect((await call(TIMELINE)).status).toBe(401)
    expect((await call(TIMELINE, 'Bearer not-a-jwt')).status).toBe(401)
    expect((await call(TIMELINE, 'Basic YWxpY2U6cGFzc3dvcmQ=')).status).toBe(401)
    expect((await call(TIMELINE, 'Bearer a.b.c')).status).toBe(401)
  })

  it('rejects a forged token (payload altered after signing)', async () => {
    const token = await issued(h.cfg.serviceDid, PROFILE)
    const [header, payload, sig] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const forged = `${header}.${b64({ ...claims, lxm: TIMELINE })}.${sig}`
    const res = await call(TIMELINE, `Bearer ${forged}`)
    expect(res.status).toBe(401)
  })

  it('rejects a token signed with a key that is not the issuer’s', async () => {
    const stranger = await Secp256k1Keypair.create()
    const token = await createServiceJwt({
      iss: alice.did,
      aud: h.cfg.serviceDid,
      lxm: TIMELINE,
      keypair: stranger,
    })
    const res = await call(TIMELINE, `Bearer ${token}`)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('BadJwtSignature')
  })

  it('rejects an expired token', async () => {
    const token = await createServiceJwt({
      iss: alice.did,
      aud: h.cfg.serviceDid,
      lxm: TIMELINE,
      keypair: aliceKey,
      iat: now() - 600,
      exp: now() - 60,
    })
    const res = await call(TIMELINE, `Bearer ${token}`)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('JwtExpired')
  })

  it('rejects a token for another audience', async () => {
    const res = await call(TIMELINE, `Bearer ${await issued('did:web:elsewhere.example', TIMELINE)}`)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('BadJwtAudience')
  })

  it('rejects a token for another method, or for none', async () => {
    const other = await call(TIMELINE, `Bearer ${await issued(h.cfg.serviceDid, PROFILE)}`)
    expect(other.status).toBe(401)
    expect(other.body.error).toBe('BadJwtLexiconMethod')
    const unscoped = await createServiceJwt({
      iss: alice.did,
      aud: h.cfg.serviceDid,
      lxm: null,
      keypair: aliceKey,
    })
    expect((await call(TIMELINE, `Bearer ${unscoped}`)).status).toBe(401)
  })

  it('rejects access, refresh and DPoP token types even when correctly signed', async () => {
    const claims = { iss: alice.did, aud: h.cfg.serviceDid, lxm: TIMELINE, iat: now(), exp: now() + 60 }
    for (const typ of ['refresh+jwt', 'at+jwt', 'dpop+jwt']) {
      const token = await signed(aliceKey, { typ, alg: 'ES256K' }, claims)
      const res = await call(TIMELINE, `Bearer ${token}`)
      expect(res.status, typ).toBe(401)
      expect(res.body.error, typ).toBe('BadJwtType')
    }
    // The PDS's own session tokens (HS256 access JWTs) are not service tokens either.
    expect((await call(TIMELINE, `Bearer ${alice.pds.session!.accessJwt}`)).status).toBe(401)
    expect((await call(TIMELINE, `Bearer ${alice.pds.session!.refreshJwt}`)).status).toBe(401)
  })

  it('rejects an issuer whose DID cannot be resolved', async () => {
    const stranger = await Secp256k1Keypair.create()
    const token = await createServiceJwt({
      iss: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa',
      aud: h.cfg.serviceDid,
      lxm: TIMELINE,
      keypair: stranger,
    })
    expect((await call(TIMELINE, `Bearer ${token}`)).status).toBe(401)
  })

  it('remembers a verified token only until it expires, and only for its method', async () => {
    const token = await createServiceJwt({
      iss: alice.did,
      aud: h.cfg.serviceDid,
      lxm: TIMELINE,
      keypair: aliceKey,
      exp: now() + 2,
    })
    expect((await call(TIMELINE, `Bearer ${token}`)).status).toBe(200)
    expect((await call(TIMELINE, `Bearer ${token}`)).status).toBe(200)
    expect((await call(PROFILE, `Bearer ${token}`, `?actor=${alice.did}`)).status).toBe(401)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const expired = await call(TIMELINE, `Bearer ${token}`)
    expect(expired.status).toBe(401)
    expect(expired.body.error).toBe('JwtExpired')
  })

  it('lets optional-auth methods run without a token but not with a bad one', async () => {
    const query = `?actor=${alice.did}`
    expect((await call(PROFILE, undefined, query)).status).toBe(200)
    expect((await call(PROFILE, `Bearer ${await issued(h.cfg.serviceDid, PROFILE)}`, query)).status).toBe(200)
    expect((await call(PROFILE, `Bearer ${await issued(h.cfg.serviceDid, TIMELINE)}`, query)).status).toBe(
      401,
    )
  })
})
