import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../src/core/errors.ts'
import { namespaceOf, parseTopicName, partitionTopic } from '../../src/pulsar/topic-name.ts'

void test('short names expand to persistent://public/default', () => {
  assert.equal(parseTopicName('orders').full, 'persistent://public/default/orders')
  assert.equal(parseTopicName('t1/ns1/orders').full, 'persistent://t1/ns1/orders')
  assert.equal(parseTopicName('non-persistent://t/n/x').domain, 'non-persistent')
})

void test('partition suffixes are recognised', () => {
  const t = parseTopicName('persistent://public/default/orders-partition-3')
  assert.equal(t.partition, 3)
  assert.equal(t.partitionedTopic, 'persistent://public/default/orders')
  assert.equal(partitionTopic('orders', 2), 'persistent://public/default/orders-partition-2')
  assert.equal(namespaceOf('orders'), 'public/default')
})

void test('invalid names are ConfigErrors', () => {
  for (const bad of ['', 'a/b', 'http://a/b/c', 'persistent://a/b', 'a/b/c/d', 'persistent://a b/c/d']) {
    assert.throws(() => parseTopicName(bad), ConfigError, bad)
  }
})
