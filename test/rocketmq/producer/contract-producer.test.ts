import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../../../src/core/errors.ts'
import {
  messageId,
  parseMessageId,
  toNativeMessage,
} from '../../../src/rocketmq/producer/contract-producer.ts'
import { toContractMessage } from '../../../src/rocketmq/consumer/contract-consumer.ts'
import type { MessageExt } from '../../../src/rocketmq/protocol/message-ext.ts'

void test('message ids round-trip through seek', () => {
  const q = { topic: 'orders', brokerName: 'broker:a', queueId: 3 }
  assert.deepEqual(parseMessageId(messageId(q, 42)), { queue: q, offset: 42 })
  assert.throws(() => parseMessageId('nope'), ConfigError)
})

function ext(native: ReturnType<typeof toNativeMessage>): MessageExt {
  return {
    topic: native.topic,
    queueId: 0,
    queueOffset: 5,
    commitLogOffset: 0,
    storeSize: 0,
    bodyCrc: 0,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: 1,
    bornHost: '',
    storeTimestamp: 1,
    storeHost: '',
    reconsumeTimes: 2,
    preparedTransactionOffset: 0,
    body: typeof native.body === 'string' ? new TextEncoder().encode(native.body) : native.body,
    compression: 'none',
    properties: {
      ...native.properties,
      ...(native.keys ? { KEYS: String(native.keys) } : {}),
      UNIQ_KEY: 'U',
      MSG_REGION: 'r',
    },
    offsetMsgId: '',
    msgId: 'U',
  }
}

void test('contract messages survive the native mapping: keys (text and binary), empty values and headers', () => {
  const q = { topic: 't', brokerName: 'b', queueId: 0 }
  const cases = [
    { key: 'plain', value: 'v', headers: { h: '1', empty: '' } },
    { key: new Uint8Array([0, 255]), value: new Uint8Array([1, 2]) },
    { key: 'with space', value: '' },
  ]
  for (const input of cases) {
    const back = toContractMessage(ext(toNativeMessage('t', input)), q, 0)
    const key = typeof input.key === 'string' ? new TextEncoder().encode(input.key) : input.key
    assert.deepEqual(back.key && [...back.key], [...key])
    const value = typeof input.value === 'string' ? new TextEncoder().encode(input.value) : input.value
    assert.deepEqual(back.value && [...back.value], [...value])
    assert.deepEqual(back.headers, input.headers ?? {})
    assert.equal(back.redeliveryCount, 2)
    assert.equal(back.id, messageId(q, 5))
  }
  assert.throws(() => toNativeMessage('t', { value: null }), ConfigError)
  assert.throws(
    () => toNativeMessage('t', { value: 'x', headers: { CONDUIT_EMPTY_VALUE: 'x' } }),
    ConfigError,
  )
})
