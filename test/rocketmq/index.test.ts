import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../../src/core/errors.ts'
import {
  clientOptions,
  parseRocketMQUrl,
  ROCKETMQ_CAPABILITIES,
  TransactionalProducer,
} from '../../src/rocketmq/index.ts'

void test('rocketmq:// URLs list name servers', () => {
  assert.deepEqual(parseRocketMQUrl('rocketmq://127.0.0.1:9876'), ['127.0.0.1:9876'])
  assert.deepEqual(parseRocketMQUrl('rocketmq://a:1;b:2'), ['a:1', 'b:2'])
  assert.deepEqual(parseRocketMQUrl('rocketmq://a:1,b:2/'), ['a:1', 'b:2'])
  for (const bad of ['rocketmq://', 'rocketmq://a', 'rocketmq://a:0', 'kafka://a:1', 'rocketmq://a:99999']) {
    assert.throws(() => parseRocketMQUrl(bad), ConfigError, bad)
  }
})

void test('connect options are checked', () => {
  const url = 'rocketmq://a:1'
  assert.deepEqual(clientOptions(url, { accessKey: 'a', secretKey: 's' }).credentials, {
    accessKey: 'a',
    secretKey: 's',
  })
  assert.throws(() => clientOptions(url, { accessKey: 'a' }), ConfigError)
  assert.throws(() => clientOptions(url, { mapAddress: 'x' }), ConfigError)
  assert.throws(() => clientOptions(url, { requestTimeoutMs: -1 }), ConfigError)
  assert.throws(() => clientOptions(url, { serialization: 'xml' }), ConfigError)
  assert.equal(clientOptions(url, { serialization: 'json' }).serializeType, 0)
})

void test('capabilities describe the common contract: no transactions there (only the native TransactionalProducer)', () => {
  assert.equal(ROCKETMQ_CAPABILITIES.transactions, false)
  assert.equal(typeof TransactionalProducer, 'function')
})
