import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BrokerError } from '../../../src/core/errors.ts'
import {
  KafkaErrorCode,
  KafkaErrors,
  kafkaError,
  needsMetadataRefresh,
} from '../../../src/kafka/protocol/errors.ts'

void test('the table carries names, retriable flags and metadata-refresh flags', () => {
  assert.equal(KafkaErrorCode.get(0)?.name, 'NONE')
  assert.equal(KafkaErrorCode.get(-1)?.name, 'UNKNOWN_SERVER_ERROR')
  assert.equal(KafkaErrors.NOT_LEADER_OR_FOLLOWER, 6)
  assert.equal(KafkaErrorCode.get(6)?.retriable, true)
  assert.equal(KafkaErrorCode.get(36)?.name, 'TOPIC_ALREADY_EXISTS')
  assert.equal(KafkaErrorCode.get(36)?.retriable, false)
  for (const name of [
    'NOT_LEADER_OR_FOLLOWER',
    'UNKNOWN_TOPIC_OR_PARTITION',
    'LEADER_NOT_AVAILABLE',
    'FENCED_LEADER_EPOCH',
    'UNKNOWN_LEADER_EPOCH',
    'NOT_CONTROLLER',
    'NOT_COORDINATOR',
  ]) {
    assert.ok(needsMetadataRefresh(KafkaErrors[name]!), name)
  }
  assert.equal(needsMetadataRefresh(KafkaErrors.TOPIC_AUTHORIZATION_FAILED!), false)
  assert.ok(KafkaErrorCode.size > 120)
})

void test('kafkaError builds a BrokerError with code, name, retriable and context', () => {
  const e = kafkaError(6, 'Produce orders-3', 'leader moved')
  assert.ok(e instanceof BrokerError)
  assert.equal(e.brokerCode, 6)
  assert.equal(e.brokerErrorName, 'NOT_LEADER_OR_FOLLOWER')
  assert.equal(e.retriable, true)
  assert.match(e.message, /Produce orders-3/)
  assert.match(e.message, /leader moved/)
  const unknown = kafkaError(9999, 'Fetch')
  assert.equal(unknown.brokerErrorName, 'UNKNOWN_ERROR_CODE_9999')
  assert.equal(unknown.retriable, false)
})
