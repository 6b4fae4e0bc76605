// ACL: requests signed with the right AccessKey/SecretKey (HMAC-SHA1) work; wrong keys give a
// clear AuthenticationError, not a hang or a generic failure.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { useBroker } from '../../support/brokers.ts'
import { connect } from '../../../src/index.ts'
import { AuthenticationError } from '../../../src/core/errors.ts'
import { unique } from './helpers.ts'

const broker = await useBroker('rocketmq-acl')
const creds = broker.credentials!

void test('right keys: produce and consume through the contract', async () => {
  const b = await connect(broker.url, { accessKey: creds.accessKey, secretKey: creds.secretKey })
  try {
    const topic = unique('acl')
    const producer = await b.producer({ topic })
    const consumer = await b.consumer({ topic, group: unique('aclg'), from: 'earliest' })
    await producer.send({ key: 'k', value: 'signed' })
    for await (const batch of consumer) {
      assert.equal(batch.messages[0]!.valueString(), 'signed')
      await batch.ack()
      break
    }
  } finally {
    await b.close()
  }
})

void test('wrong keys and missing keys: AuthenticationError', async () => {
  for (const options of [
    { accessKey: creds.wrongAccessKey!, secretKey: creds.wrongSecretKey! },
    { accessKey: creds.accessKey!, secretKey: creds.wrongSecretKey! },
    {},
  ]) {
    const b = await connect(broker.url, options)
    try {
      await assert.rejects(b.producer({ topic: unique('acl') }), (err: unknown) => {
        assert.ok(err instanceof AuthenticationError, `expected AuthenticationError, got ${String(err)}`)
        return true
      })
    } finally {
      await b.close()
    }
  }
})
