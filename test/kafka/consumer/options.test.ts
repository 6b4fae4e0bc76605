import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { resolveConsumerConfig } from '../../../src/kafka/consumer/options.ts'

void test('checkCrcs defaults to true and must be a boolean', () => {
  assert.equal(resolveConsumerConfig({}).checkCrcs, true)
  assert.equal(resolveConsumerConfig({ checkCrcs: false }).checkCrcs, false)
  assert.throws(() => resolveConsumerConfig({ checkCrcs: 'no' as never }), ConfigError)
})
