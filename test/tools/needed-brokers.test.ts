// Which shared brokers the test runner starts, read from the test files.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { neededBrokers } from '../../tools/test/needed-brokers.ts'

const files: Record<string, string> = {
  'test/kafka/protocol/records.test.ts': "useBroker('pulsar')", // not an integration test: ignored
  'test/integration/kafka/produce.test.ts': "const b = await useBroker('kafka')",
  'test/integration/kafka/failover.test.ts': "await useBroker('kafka-cluster', { exclusive: true })",
  'test/integration/kafka/auth.test.ts': 'await useBroker("kafka-sasl", { exclusive: false })',
  'test/integration/pulsar-ws/basic.test.ts': 'no call at all',
  'test/integration/smoke/x.test.ts':
    "useBroker('rocketmq-acl')\nuseBroker('pulsar-tls', { exclusive: true })",
}

void test('shared kinds come from non-exclusive useBroker calls and integration folder names', () => {
  assert.deepEqual(
    neededBrokers(Object.keys(files), (file) => files[file]!),
    ['kafka', 'kafka-sasl', 'pulsar', 'rocketmq-acl'],
  )
})

void test('no integration tests, no brokers', () => {
  assert.deepEqual(
    neededBrokers(['test/core/errors.test.ts'], () => "useBroker('kafka')"),
    [],
  )
})
