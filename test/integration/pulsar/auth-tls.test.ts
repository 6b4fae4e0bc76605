// JWT authentication and mutual TLS against the secured standalone variants (pulsar-tls requires a
// client certificate on pulsar+ssl:// and https://).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthenticationError, ConnectionError } from '../../../src/core/errors.ts'
import { connect } from '../../../src/index.ts'
import {
  PulsarAdmin,
  PulsarConsumer,
  PulsarProducer,
  createClient,
  tokenAuth,
} from '../../../src/pulsar/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { next, unique } from './helpers.ts'

void test('JWT: a valid token (static or from a supplier) produces and consumes', async () => {
  const b = await useBroker('pulsar-auth')
  const token = b.credentials!.token!
  let supplied = 0
  for (const auth of [{ token }, { auth: tokenAuth(() => (supplied++, Promise.resolve(token))) }]) {
    const client = await createClient(b.url, auth)
    const topic = unique('auth')
    const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
    const p = await PulsarProducer.create(client, { topic })
    await p.send({ value: 'secret' })
    assert.equal((await next(c)).valueString(), 'secret')
    await client.close()
  }
  assert.ok(supplied >= 1, 'the supplier was asked for the token')
})

void test('JWT: a bad or missing token is a clear AuthenticationError', async () => {
  const b = await useBroker('pulsar-auth')
  await assert.rejects(createClient(b.url, { token: b.credentials!.badToken! }), (err: unknown) => {
    assert.ok(err instanceof AuthenticationError, `got ${String(err)}`)
    assert.equal((err as AuthenticationError).retriable, false)
    return true
  })
  await assert.rejects(createClient(b.url), AuthenticationError)
  await assert.rejects(
    connect(b.url, { token: b.credentials!.badToken!, adminUrl: b.urls.admin }),
    AuthenticationError,
  )
})

void test('JWT: the admin client sends the token; without it the broker refuses', async () => {
  const b = await useBroker('pulsar-auth')
  const admin = new PulsarAdmin({ url: b.urls.admin!, token: b.credentials!.token! })
  assert.ok((await admin.listTenants()).includes('public'))
  await assert.rejects(new PulsarAdmin({ url: b.urls.admin! }).listTenants(), AuthenticationError)
})

void test('mutual TLS: pulsar+ssl with the cluster CA and a client certificate works end to end', async () => {
  const b = await useBroker('pulsar-tls')
  const tls = { ca: b.tls!.ca, cert: b.tls!.cert, key: b.tls!.key }
  const client = await createClient(b.urls.tlsUrl!, { tls })
  const topic = unique('tls')
  const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
  const p = await PulsarProducer.create(client, { topic, compression: 'zstd' })
  await p.send({ key: 'k', value: 'over tls' })
  const m = await next(c)
  assert.equal(m.valueString(), 'over tls')
  await client.close()
  // The contract driver over TLS, with the admin API over https.
  const broker = await connect(b.urls.tlsUrl!, { tls, adminUrl: b.urls.adminTls })
  await broker.admin.createTopic(unique('tls-admin'))
  await broker.close()
})

void test('TLS: a server certificate the client does not trust fails with ConnectionError', async () => {
  const b = await useBroker('pulsar-tls')
  await assert.rejects(createClient(b.urls.tlsUrl!, { connectTimeoutMs: 5000 }), ConnectionError)
})

void test('mutual TLS: without a client certificate pulsar+ssl and https are refused with AuthenticationError', async () => {
  const b = await useBroker('pulsar-tls')
  const started = Date.now()
  const error = await createClient(b.urls.tlsUrl!, { tls: { ca: b.tls!.ca }, connectTimeoutMs: 5000 }).catch(
    (e: unknown) => e,
  )
  assert.ok(error instanceof AuthenticationError, String(error))
  assert.equal(error.retriable, false)
  assert.match(error.message, /refused the TLS client certificate/)
  assert.ok(Date.now() - started < 10_000, 'no retry loop')
  await assert.rejects(
    new PulsarAdmin({ url: b.urls.adminTls!, tls: { ca: b.tls!.ca } }).listTenants(),
    AuthenticationError,
  )
  const admin = new PulsarAdmin({
    url: b.urls.adminTls!,
    tls: { ca: b.tls!.ca, cert: b.tls!.cert, key: b.tls!.key },
  })
  assert.ok((await admin.listTenants()).includes('public'))
})

void test('a token over pulsar:// warns once with CONDUIT_INSECURE_AUTH unless allowInsecureAuth', async () => {
  const b = await useBroker('pulsar-auth')
  const seen: Error[] = []
  const listener = (w: Error): void => {
    if ((w as { code?: string }).code === 'CONDUIT_INSECURE_AUTH') seen.push(w)
  }
  process.on('warning', listener)
  try {
    const warned = await createClient(b.url, { token: b.credentials!.token! })
    await warned.close()
    const quiet = await createClient(b.url, { token: b.credentials!.token!, allowInsecureAuth: true })
    await quiet.close()
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', listener)
  }
  assert.equal(seen.length, 1)
  assert.match(
    seen[0]!.message,
    /Pulsar token credentials are sent to pulsar:\/\/127\.0\.0\.1:\d+ without TLS/,
  )
  assert.ok(!seen[0]!.message.includes(b.credentials!.token!))
})
