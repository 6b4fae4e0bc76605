// OAuth2 client credentials against the real pulsar-auth broker and the harness's OAuth2 server
// (tools/brokers/oauth2-server.ts), which signs its JWTs with the key the broker trusts. Proves
// discovery, the grant, token reuse, clear refusals, and that an expiring token is renewed in
// answer to the broker's AUTH_CHALLENGE without dropping the connection.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthenticationError } from '../../../src/core/errors.ts'
import { connect } from '../../../src/index.ts'
import {
  PulsarConsumer,
  PulsarProducer,
  createClient,
  oauth2ClientCredentials,
} from '../../../src/pulsar/index.ts'
import { useBroker, type BrokerHandle } from '../../support/brokers.ts'
import { next, unique } from './helpers.ts'

async function issued(b: BrokerHandle, clientId: string): Promise<number> {
  const res = await fetch(`${b.urls.oauth2Issuer}/stats`)
  const body = (await res.json()) as { issued: Record<string, number> }
  return body.issued[clientId] ?? 0
}

void test('OAuth2: discovery + client credentials produce and consume; one token serves two clients', async () => {
  const b = await useBroker('pulsar-auth')
  const { oauth2ClientId: clientId, oauth2ClientSecret: clientSecret } = b.credentials!
  const before = await issued(b, clientId!)
  const auth = oauth2ClientCredentials({
    issuerUrl: b.urls.oauth2Issuer!,
    clientId: clientId!,
    clientSecret: clientSecret!,
  })
  const first = await createClient(b.url, { auth, allowInsecureAuth: true })
  const second = await createClient(b.url, { auth, allowInsecureAuth: true })
  try {
    const topic = unique('oauth2')
    const c = await PulsarConsumer.create(second, { topic, subscription: 's', initialPosition: 'earliest' })
    const p = await PulsarProducer.create(first, { topic })
    await p.send({ value: 'via oauth2' })
    assert.equal((await next(c)).valueString(), 'via oauth2')
  } finally {
    await first.close()
    await second.close()
  }
  assert.equal((await issued(b, clientId!)) - before, 1, 'the cached token was reused')
  // The contract driver's `oauth2` option, with a direct token URL (no discovery).
  const broker = await connect(b.url, {
    oauth2: { tokenUrl: `${b.urls.oauth2Issuer}/oauth/token`, clientId, clientSecret },
    allowInsecureAuth: true,
  })
  try {
    const topic = unique('oauth2-contract')
    const producer = await broker.producer({ topic })
    await producer.send({ value: 'contract via oauth2' })
  } finally {
    await broker.close()
  }
  assert.equal((await issued(b, clientId!)) - before, 2)
})

void test('OAuth2: a wrong client secret is an AuthenticationError naming the OAuth2 refusal', async () => {
  const b = await useBroker('pulsar-auth')
  const error = await createClient(b.url, {
    oauth2: {
      issuerUrl: b.urls.oauth2Issuer!,
      clientId: b.credentials!.oauth2ClientId!,
      clientSecret: 'wrong',
    },
    allowInsecureAuth: true,
  }).catch((e: unknown) => e)
  assert.ok(error instanceof AuthenticationError, String(error))
  assert.match(error.message, /HTTP 401 \(invalid_client\)/)
  assert.ok(!error.message.includes('wrong'))
})

void test('OAuth2: an expiring token is renewed on AUTH_CHALLENGE; the connection stays up', async () => {
  const b = await useBroker('pulsar-auth')
  const clientId = b.credentials!.oauth2ShortClientId! // tokens live 6 s; the broker checks every 2 s
  const before = await issued(b, clientId)
  const client = await createClient(b.url, {
    oauth2: {
      issuerUrl: b.urls.oauth2Issuer!,
      clientId,
      clientSecret: b.credentials!.oauth2ShortClientSecret!,
      refreshMarginMs: 1000,
    },
    allowInsecureAuth: true,
  })
  try {
    const connection = await client.serviceConnection()
    let closed = false
    connection.onClose(() => (closed = true))
    const topic = unique('oauth2-refresh')
    const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
    const p = await PulsarProducer.create(client, { topic })
    // Two token lifetimes: without an answer to AUTH_CHALLENGE the broker closes the connection.
    await new Promise((resolve) => setTimeout(resolve, 14_000))
    await p.send({ value: 'after expiry' })
    assert.equal((await next(c)).valueString(), 'after expiry')
    assert.equal(closed, false, 'the broker did not drop the connection')
    assert.equal(await client.serviceConnection(), connection)
    assert.ok((await issued(b, clientId)) - before >= 2, 'a fresh token was fetched for the challenge')
  } finally {
    await client.close()
  }
})
