// Security against the token-auth and TLS variants of the real standalone: a JWT in the
// Authorization header opens producers and consumers; a wrong or missing token is a typed
// AuthenticationError at once; wss:// with the broker's CA works (also through connect()), and
// without the CA the certificate is refused.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect } from '../../../src/index.ts'
import { AuthenticationError, ConnectionError } from '../../../src/core/errors.ts'
import { useBroker } from '../../support/brokers.ts'
import { client, next, unique } from './helpers.ts'

void test('JWT: the right token produces and consumes; a bad or missing one is refused with AuthenticationError', async () => {
  const broker = await useBroker('pulsar-auth')
  const token = broker.credentials!.token!
  const ws = client(broker.urls.ws!, { token })
  try {
    const topic = unique('ws-jwt')
    const c = await ws.consumer({ topic, subscription: 's' })
    await ws.produce(topic, 'authenticated')
    assert.equal((await next(c)).text(), 'authenticated')
    await c.close()
  } finally {
    await ws.close()
  }
  for (const options of [{ token: broker.credentials!.badToken! }, {}]) {
    const bad = client(broker.urls.ws!, options)
    await assert.rejects(bad.producer({ topic: unique('ws-jwt-bad') }), AuthenticationError)
    await assert.rejects(
      bad.consumer({ topic: unique('ws-jwt-bad'), subscription: 's' }),
      AuthenticationError,
    )
    await bad.close()
    await assert.rejects(
      connect(broker.urls.ws!, options),
      AuthenticationError,
      'connect() checks the token up front',
    )
  }
  // A token supplier is asked on every connect.
  let asked = 0
  const supplied = client(broker.urls.ws!, { token: () => (asked++, token) })
  await supplied.produce(unique('ws-jwt-fn'), 'x')
  assert.ok(asked >= 1)
  await supplied.close()
})

void test('TLS: wss:// with the broker CA works for the native client and the contract; without it the certificate is refused', async () => {
  const broker = await useBroker('pulsar-tls')
  const wss = broker.urls.wss!
  assert.match(wss, /^wss:\/\//)
  // pulsar-tls requires a client certificate (mutual TLS).
  const tls = { ca: broker.tls!.ca, cert: broker.tls!.cert!, key: broker.tls!.key! }
  const ws = client(wss, { tls })
  try {
    const topic = unique('ws-tls')
    const c = await ws.consumer({ topic, subscription: 's' })
    await ws.produce(topic, { payload: 'over tls', key: 'k' })
    const m = await next(c)
    assert.equal(m.text(), 'over tls')
    await c.close()
  } finally {
    await ws.close()
  }
  const contract = await connect(wss, { tls })
  try {
    const topic = unique('ws-tls-contract')
    await contract.admin.createTopic(topic)
    const producer = await contract.producer({ topic })
    const consumer = await contract.consumer({ topic, from: 'earliest' })
    await producer.send({ key: 'k', value: 'contract over tls' })
    const iterator = consumer[Symbol.asyncIterator]()
    const batch = (await iterator.next()).value!
    assert.equal(batch.messages[0]!.valueString(), 'contract over tls')
    await batch.ack()
  } finally {
    await contract.close()
  }
  const noCertificate = client(wss, { tls: { ca: broker.tls!.ca } })
  const refused = await noCertificate.producer({ topic: unique('ws-tls-no-cert') }).catch((e: unknown) => e)
  assert.ok(refused instanceof AuthenticationError && !refused.retriable, String(refused))
  assert.match(refused.message, /refused the TLS client certificate/)
  await noCertificate.close()
  const untrusted = client(wss)
  const error = await untrusted.producer({ topic: unique('ws-tls-untrusted') }).catch((e: unknown) => e)
  assert.ok(error instanceof ConnectionError && !error.retriable, String(error))
  assert.match(error.message, /TLS/)
  await untrusted.close()
})
