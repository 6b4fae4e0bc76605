import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../src/core/errors.ts'
import {
  consumerUrl,
  parseServiceBase,
  producerUrl,
  readerUrl,
  resolveTopic,
} from '../../src/pulsar-ws/endpoint.ts'

const defaults = { tenant: 'acme', namespace: 'orders', persistence: 'persistent' } as const

void test('topics resolve with the client defaults, or as written when qualified', () => {
  assert.deepEqual(
    (({ persistence, tenant, namespace, topic }) => ({ persistence, tenant, namespace, topic }))(
      resolveTopic('paid', defaults),
    ),
    { persistence: 'persistent', tenant: 'acme', namespace: 'orders', topic: 'paid' },
  )
  assert.equal(resolveTopic('t/n/x', defaults).full, 'persistent://t/n/x')
  assert.equal(resolveTopic('non-persistent://t/n/x', defaults).full, 'non-persistent://t/n/x')
  assert.equal(
    resolveTopic('x', { ...defaults, persistence: 'non-persistent' }).full,
    'non-persistent://acme/orders/x',
  )
  assert.throws(() => resolveTopic('', defaults), ConfigError)
  assert.throws(() => resolveTopic('a/b', defaults), ConfigError)
})

void test('the service base: ws/wss, path prefix kept, admin URL derived, endpoints and credentials refused', () => {
  const b = parseServiceBase('wss://gw.example:8443/pulsar/?tenant=t1&namespace=n1')
  assert.equal(b.ws, 'wss://gw.example:8443/pulsar')
  assert.equal(b.http, 'https://gw.example:8443/pulsar')
  assert.equal(b.params.get('tenant'), 't1')
  assert.equal(parseServiceBase('ws://127.0.0.1:8080').http, 'http://127.0.0.1:8080')
  for (const bad of [
    'http://h:1',
    'ws://',
    'nonsense',
    'ws://u:p@h:1',
    'ws://h:1/ws/v2/producer/persistent/a/b/c',
  ]) {
    assert.throws(() => parseServiceBase(bad), ConfigError, bad)
  }
})

void test('producer URL carries every producer query parameter under Pulsar’s names', () => {
  const url = new URL(
    producerUrl(
      'ws://h:1',
      { persistence: 'persistent', tenant: 't', namespace: 'n', topic: 'a b' },
      {
        sendTimeoutMillis: 30000,
        batchingEnabled: true,
        batchingMaxMessages: 1000,
        maxPendingMessages: 500,
        batchingMaxPublishDelay: 25,
        messageRoutingMode: 'RoundRobinPartition',
        compressionType: 'LZ4',
        producerName: 'summer',
        initialSequenceId: 100,
        hashingScheme: 'Murmur3_32Hash',
        encryptionKeys: ['k1', 'k2'],
      },
    ),
  )
  assert.equal(url.pathname, '/ws/v2/producer/persistent/t/n/a%20b')
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    sendTimeoutMillis: '30000',
    batchingEnabled: 'true',
    batchingMaxMessages: '1000',
    maxPendingMessages: '500',
    batchingMaxPublishDelay: '25',
    messageRoutingMode: 'RoundRobinPartition',
    compressionType: 'LZ4',
    producerName: 'summer',
    initialSequenceId: '100',
    hashingScheme: 'Murmur3_32Hash',
    encryptionKeys: 'k1,k2',
  })
})

void test('consumer URL carries every consumer query parameter; wrong values fail before any request', () => {
  const t = { persistence: 'persistent', tenant: 't', namespace: 'n', topic: 'x' } as const
  const url = new URL(
    consumerUrl('ws://h:1', t, 'sub', {
      subscriptionType: 'Key_Shared',
      ackTimeoutMillis: 1000,
      receiverQueueSize: 10,
      consumerName: 'rick',
      priorityLevel: 10,
      maxRedeliverCount: 3,
      deadLetterTopic: 'dlq',
      pullMode: true,
      negativeAckRedeliveryDelay: 200,
      subscriptionInitialPosition: 'Earliest',
      subscriptionMode: 'Durable',
      cryptoFailureAction: 'FAIL',
    }),
  )
  assert.equal(url.pathname, '/ws/v2/consumer/persistent/t/n/x/sub')
  assert.equal(url.searchParams.size, 12)
  assert.equal(url.searchParams.get('subscriptionType'), 'Key_Shared')
  assert.equal(url.searchParams.get('pullMode'), 'true')
  for (const bad of [
    { subscriptionType: 'shared' },
    { ackTimeoutMillis: 500 },
    { receiverQueueSize: 5000 },
    { deadLetterTopic: 'dlq' },
    { maxRedeliverCount: 0 },
    { pullMode: 'yes' },
    { priorityLevel: 1.5 },
    { subscriptionInitialPosition: 'earliest' },
  ]) {
    assert.throws(() => consumerUrl('ws://h:1', t, 'sub', bad as never), ConfigError, JSON.stringify(bad))
  }
  assert.throws(() => consumerUrl('ws://h:1', t, 'a/b', {}), ConfigError)
  assert.throws(() => producerUrl('ws://h:1', t, { compressionType: 'GZIP' as never }), ConfigError)
})

void test('reader URL: start position and options', () => {
  const url = new URL(
    readerUrl(
      'ws://h:1',
      { persistence: 'non-persistent', tenant: 't', namespace: 'n', topic: 'x' },
      {
        messageId: 'earliest',
        receiverQueueSize: 5,
        readerName: 'morty',
      },
    ),
  )
  assert.equal(url.pathname, '/ws/v2/reader/non-persistent/t/n/x')
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    messageId: 'earliest',
    receiverQueueSize: '5',
    readerName: 'morty',
  })
})
