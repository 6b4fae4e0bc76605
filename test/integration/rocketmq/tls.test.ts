// TLS against the real broker (rocketmq-tls: the broker enforces TLS on its remoting port, the
// name server accepts TLS and plain). Trusting the test CA, messages go through; a server
// certificate the client does not trust is a ConnectionError that says why, not a hang.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { useBroker } from '../../support/brokers.ts'
import { connect } from '../../../src/index.ts'
import { ConnectionError } from '../../../src/core/errors.ts'
import { RocketMQProducer } from '../../../src/rocketmq/producer/producer.ts'
import { createTopic, newClient, unique } from './helpers.ts'

const broker = await useBroker('rocketmq-tls')
const ca = broker.tls!.ca

void test('trusting the CA: produce and consume through the contract over TLS', async () => {
  const b = await connect(broker.url, { tls: { ca } })
  try {
    const topic = unique('tls')
    const producer = await b.producer({ topic })
    const consumer = await b.consumer({ topic, group: unique('tlsg'), from: 'earliest' })
    await producer.send({ key: 'k', value: 'encrypted' })
    for await (const batch of consumer) {
      assert.equal(batch.messages[0]!.valueString(), 'encrypted')
      assert.equal(batch.messages[0]!.keyString(), 'k')
      await batch.ack()
      break
    }
  } finally {
    await b.close()
  }
})

void test('an untrusted server certificate is a ConnectionError naming the cause', async () => {
  // tls: true trusts only the system CAs, which did not sign the test certificate.
  const client = newClient(broker.url, { tls: true })
  try {
    const started = Date.now()
    await assert.rejects(client.route(unique('tlsx')), (err: unknown) => {
      assert.ok(err instanceof ConnectionError, `expected ConnectionError, got ${String(err)}`)
      assert.match(err.message, /certificate/i, 'the message names the certificate problem')
      return true
    })
    assert.ok(Date.now() - started < 15_000, 'fails promptly')
  } finally {
    await client.close()
  }
})

void test('without TLS the broker refuses the connection (enforcing)', async () => {
  // The name server is permissive, so the route is found in plain text; the broker is not.
  const topic = unique('tlsp')
  const admin = newClient(broker.url, { tls: { ca } })
  const plain = newClient(broker.url)
  try {
    await createTopic(admin, topic, 1)
    const producer = new RocketMQProducer(plain, { group: unique('pg'), retries: 0 })
    await assert.rejects(producer.send({ topic, body: 'x' }), ConnectionError)
    await producer.close()
  } finally {
    await plain.close()
    await admin.close()
  }
})
