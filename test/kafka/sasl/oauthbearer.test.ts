import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthenticationError, ConfigError } from '../../../src/core/errors.ts'
import { oauthBearerInitialResponse, oauthBearerMechanism } from '../../../src/kafka/sasl/oauthbearer.ts'

const dec = new TextDecoder()

void test('OAUTHBEARER initial response follows RFC 7628 with extensions', () => {
  const bytes = oauthBearerInitialResponse({ value: 'tok.en.sig', extensions: { traceId: '42' } })
  assert.equal(dec.decode(bytes), 'n,,\x01auth=Bearer tok.en.sig\x01traceId=42\x01\x01')
  assert.throws(() => oauthBearerInitialResponse({ value: 'has space' }), ConfigError)
  assert.throws(() => oauthBearerInitialResponse({ value: 't', extensions: { auth: 'x' } }), ConfigError)
})

void test('OAUTHBEARER calls the token hook on each authentication and fails on an error status', async () => {
  let calls = 0
  const mech = oauthBearerMechanism(() => `token${++calls}`)
  const seen: string[] = []
  await mech.authenticate(async (m) => {
    seen.push(dec.decode(m))
    return new Uint8Array(0)
  })
  await mech.authenticate(async (m) => {
    seen.push(dec.decode(m))
    return new Uint8Array(0)
  })
  assert.match(seen[0]!, /Bearer token1/)
  assert.match(seen[1]!, /Bearer token2/)
  const replies: Uint8Array[] = []
  await assert.rejects(
    mech.authenticate(async (m) => {
      replies.push(m)
      return replies.length === 1 ? new TextEncoder().encode('{"status":"invalid_token"}') : new Uint8Array(0)
    }),
    AuthenticationError,
  )
  assert.equal(dec.decode(replies[1]), '\x01')
})
