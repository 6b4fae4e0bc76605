// SaslHandshake and SaslAuthenticate (every common version) against the SASL_PLAINTEXT broker,
// with the PLAIN mechanism: good credentials authenticate and the connection then serves
// requests; a wrong password comes back as SASL_AUTHENTICATION_FAILED with the broker's message.

import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey, clientVersionRange, KafkaErrors, kafkaErrorInfo } from '../../../src/kafka/protocol/index.ts'
import { useBroker, type BrokerHandle } from '../../support/brokers.ts'
import { WireClient } from './wire-client.ts'

let broker: BrokerHandle
const plain = (user: string, password: string): Uint8Array =>
  new TextEncoder().encode(`\0${user}\0${password}`)

before(async () => {
  broker = await useBroker('kafka-sasl')
})

async function authenticate(
  version: number,
  password: string,
): Promise<{ client: WireClient; errorCode: number; errorMessage: string | null }> {
  const client = await WireClient.open(broker.urls.bootstrap!)
  const handshake = await client.call(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })
  assert.equal(handshake.errorCode, 0, kafkaErrorInfo(handshake.errorCode).name)
  assert.ok(handshake.mechanisms.includes('PLAIN'))
  assert.ok(handshake.mechanisms.includes('SCRAM-SHA-512'))
  const res = await client.call(ApiKey.SaslAuthenticate, version, {
    authBytes: plain(broker.credentials!.username!, password),
  })
  return { client, errorCode: res.errorCode, errorMessage: res.errorMessage }
}

void test('PLAIN authentication succeeds in every SaslAuthenticate version, then requests are served', async () => {
  const { min, max } = clientVersionRange(ApiKey.SaslAuthenticate)
  for (let v = min; v <= max; v++) {
    const { client, errorCode } = await authenticate(v, broker.credentials!.password!)
    try {
      assert.equal(errorCode, 0, `SaslAuthenticate v${v}: ${kafkaErrorInfo(errorCode).name}`)
      const meta = await client.call(ApiKey.Metadata, 12, { topics: null })
      assert.ok(meta.brokers.length >= 1)
    } finally {
      client.close()
    }
  }
})

void test('a wrong password is SASL_AUTHENTICATION_FAILED with a message', async () => {
  const { client, errorCode, errorMessage } = await authenticate(2, broker.credentials!.wrongPassword!)
  client.close()
  assert.equal(errorCode, KafkaErrors.SASL_AUTHENTICATION_FAILED)
  assert.ok(errorMessage && errorMessage.length > 0)
})

void test('an unknown mechanism is UNSUPPORTED_SASL_MECHANISM and lists the enabled ones', async () => {
  const client = await WireClient.open(broker.urls.bootstrap!)
  try {
    const res = await client.call(ApiKey.SaslHandshake, 1, { mechanism: 'NOPE' })
    assert.equal(res.errorCode, KafkaErrors.UNSUPPORTED_SASL_MECHANISM)
    assert.deepEqual([...res.mechanisms].sort(), ['OAUTHBEARER', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])
  } finally {
    client.close()
  }
})
