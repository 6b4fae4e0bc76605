// SASL/OAUTHBEARER (RFC 7628) against the real kafka-sasl broker, whose OAUTHBEARER listener uses
// Kafka's built-in unsecured-JWS validator: an `alg: none` JWS with `sub` and a future `exp` is
// accepted; an expired or malformed token is refused with a typed AuthenticationError.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect } from '../../../src/index.ts'
import { AuthenticationError } from '../../../src/core/errors.ts'
import { useBroker } from '../../support/brokers.ts'
import { unique } from './helpers.ts'

function unsecuredJws(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none' })}.${part(claims)}.`
}

function validToken(): string {
  const now = Math.floor(Date.now() / 1000)
  return unsecuredJws({ sub: 'conduit-oauth', iat: now, exp: now + 600 })
}

async function produceAndListen(url: string, options: Record<string, unknown>): Promise<void> {
  const broker = await connect(url, { allowInsecureAuth: true, ...options })
  try {
    const topic = unique('oauth')
    await broker.admin.createTopic(topic, { partitions: 1 })
    const producer = await broker.producer({ topic })
    await producer.send({ key: 'k', value: 'bearer' })
    assert.ok((await broker.admin.listTopics()).includes(topic))
  } finally {
    await broker.close()
  }
}

void test('OAUTHBEARER: a static unsecured JWS is accepted and the client works', async () => {
  const b = await useBroker('kafka-sasl')
  assert.match(b.credentials!.mechanisms!, /OAUTHBEARER/)
  await produceAndListen(b.url, { sasl: { mechanism: 'oauthbearer', token: validToken() } })
})

void test('OAUTHBEARER: a token function is asked on connect', async () => {
  const b = await useBroker('kafka-sasl')
  let asked = 0
  await produceAndListen(b.url, {
    sasl: {
      mechanism: 'oauthbearer',
      token: async () => {
        asked++
        return validToken()
      },
    },
  })
  assert.ok(asked >= 1)
})

void test('OAUTHBEARER: an expired or malformed token is refused with AuthenticationError, quickly', async () => {
  const b = await useBroker('kafka-sasl')
  const now = Math.floor(Date.now() / 1000)
  const expired = unsecuredJws({ sub: 'conduit-oauth', iat: now - 7200, exp: now - 3600 })
  for (const token of [expired, 'not-a-jws']) {
    const started = Date.now()
    const error = await connect(b.url, {
      sasl: { mechanism: 'oauthbearer', token },
      allowInsecureAuth: true,
      connectTimeoutMs: 5000,
    }).catch((e: unknown) => e)
    assert.ok(error instanceof AuthenticationError, String(error))
    assert.match(error.message, /OAUTHBEARER/)
    assert.ok(Date.now() - started < 10_000, 'no hang, no retry loop')
  }
})
