// SASL PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512 against kafka-sasl, mutual TLS against kafka-tls
// (which requires a client certificate), and wrong credentials failing fast with
// AuthenticationError instead of hanging.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { connect } from '../../../src/index.ts'
import { AuthenticationError } from '../../../src/core/errors.ts'
import { useBroker } from '../../support/brokers.ts'
import { unique } from './helpers.ts'

async function roundTrip(url: string, options: Record<string, unknown>): Promise<void> {
  const broker = await connect(url, options)
  try {
    const topic = unique('sec')
    await broker.admin.createTopic(topic, { partitions: 1 })
    const producer = await broker.producer({ topic })
    await producer.send({ key: 'k', value: 'secret' })
    const consumer = await broker.consumer({ topic, group: unique('sec-g'), from: 'earliest' })
    for await (const batch of consumer) {
      assert.equal(batch.messages[0]!.valueString(), 'secret')
      await batch.ack()
      break
    }
    await consumer.close()
  } finally {
    await broker.close()
  }
}

void describe('kafka security', () => {
  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    void test(`SASL ${mechanism} authenticates and works end to end`, async () => {
      const b = await useBroker('kafka-sasl')
      const { username, password } = b.credentials!
      await roundTrip(b.url, { sasl: { mechanism, username, password } })
    })

    void test(`SASL ${mechanism} with a wrong password fails with AuthenticationError, quickly`, async () => {
      const b = await useBroker('kafka-sasl')
      const started = Date.now()
      await assert.rejects(
        connect(b.url, {
          sasl: { mechanism, username: b.credentials!.username, password: b.credentials!.wrongPassword },
        }),
        (err) => err instanceof AuthenticationError,
      )
      assert.ok(Date.now() - started < 10_000, 'no hang, no retry loop')
    })
  }

  void test('credentials in the URL (user info and ?sasl=)', async () => {
    const b = await useBroker('kafka-sasl')
    const { username, password } = b.credentials!
    const url = b.url.replace(
      'kafka://',
      `kafka://${encodeURIComponent(username!)}:${encodeURIComponent(password!)}@`,
    )
    await roundTrip(`${url}?sasl=scram-sha-512`, {})
  })

  void test('a SASL broker refuses an unauthenticated client with a clear error', async () => {
    const b = await useBroker('kafka-sasl')
    await assert.rejects(connect(b.url, { connectTimeoutMs: 3000, requestTimeoutMs: 3000 }))
  })

  void test('credentials in the URL: a password with : @ % / ? # percent-encoded', async () => {
    const b = await useBroker('kafka-sasl')
    const { specialUsername, specialPassword } = b.credentials!
    assert.match(specialPassword!, /:.*@.*%/)
    const url = b.url.replace(
      'kafka://',
      `kafka://${encodeURIComponent(specialUsername!)}:${encodeURIComponent(specialPassword!)}@`,
    )
    await roundTrip(url, { allowInsecureAuth: true })
    // `:` and `@` left raw (only what would end the user info is encoded): the user info runs to
    // the last `@` and only the first `:` separates user from password.
    const raw = specialPassword!.replace(/[%/?#]/g, (c) => encodeURIComponent(c))
    assert.match(raw, /:.*@/)
    await roundTrip(b.url.replace('kafka://', `kafka://${specialUsername!}:${raw}@`), {
      allowInsecureAuth: true,
    })
  })

  void test('mutual TLS: the broker CA and the client certificate (kafka+ssl://)', async () => {
    const b = await useBroker('kafka-tls')
    const url = b.url.replace(/^kafka:/, 'kafka+ssl:')
    await roundTrip(url, { tls: { ca: b.tls!.ca, cert: b.tls!.cert, key: b.tls!.key } })
  })

  void test('mutual TLS: without a client certificate the broker refuses with AuthenticationError', async () => {
    const b = await useBroker('kafka-tls')
    const url = b.url.replace(/^kafka:/, 'kafka+ssl:')
    const started = Date.now()
    const error = await connect(url, { tls: { ca: b.tls!.ca }, connectTimeoutMs: 5000 }).catch(
      (e: unknown) => e,
    )
    assert.ok(error instanceof AuthenticationError, String(error))
    assert.equal(error.retriable, false)
    assert.match(error.message, /refused the TLS client certificate.*tls\.cert and tls\.key/)
    assert.ok(Date.now() - started < 10_000, 'no retry loop')
  })

  void test('TLS with an untrusted certificate fails with a connection error naming the cause', async () => {
    const b = await useBroker('kafka-tls')
    const url = b.url.replace(/^kafka:/, 'kafka+ssl:')
    await assert.rejects(
      connect(url, { connectTimeoutMs: 3000 }),
      /certificate|self.signed|unable to verify/i,
    )
  })
})
