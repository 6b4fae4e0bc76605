// Mutual TLS against the real broker (rocketmq-mtls: the broker enforces TLS and requires a client
// certificate signed by the test CA). With the client certificate, messages go through; without
// one the broker's TLS alert is a non-retriable AuthenticationError, promptly, not a retry loop.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthenticationError } from '../../../src/core/errors.ts'
import { connect } from '../../../src/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { unique } from './helpers.ts'

const broker = await useBroker('rocketmq-mtls')
const { ca, cert, key } = broker.tls!

void test('mutual TLS: with the client certificate, produce and consume through the contract', async () => {
  assert.ok(cert && key, 'the harness hands out a client certificate')
  const b = await connect(broker.url, { tls: { ca, cert, key } })
  try {
    const topic = unique('mtls')
    const producer = await b.producer({ topic })
    const consumer = await b.consumer({ topic, group: unique('mtlsg'), from: 'earliest' })
    await producer.send({ key: 'k', value: 'mutual' })
    for await (const batch of consumer) {
      assert.equal(batch.messages[0]!.valueString(), 'mutual')
      await batch.ack()
      break
    }
  } finally {
    await b.close()
  }
})

void test('mutual TLS: without a client certificate the broker refuses with AuthenticationError', async () => {
  const b = await connect(broker.url, { tls: { ca }, requestTimeoutMs: 5000 })
  try {
    const started = Date.now()
    // The producer talks to the broker when it starts (the name server accepts the client).
    const error = await b
      .producer({ topic: unique('mtls-refused') })
      .then((producer) => producer.send({ value: 'x' }))
      .catch((e: unknown) => e)
    assert.ok(error instanceof AuthenticationError, String(error))
    assert.equal(error.retriable, false)
    assert.match(error.message, /refused the TLS client certificate/)
    assert.ok(Date.now() - started < 15_000, 'fails promptly')
  } finally {
    await b.close()
  }
})
