import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../../../src/core/errors.ts'
import { prepareMessage } from '../../../src/rocketmq/producer/message.ts'

void test('system properties the Java client sets: tags, keys, delay, timer, unique key, wait', () => {
  const p = prepareMessage(
    { topic: 't', body: 'x', tags: 'T', keys: ['a', 'b'], delayLevel: 3, properties: { u: 'v' } },
    1000,
  )
  assert.equal(p.properties.TAGS, 'T')
  assert.equal(p.properties.KEYS, 'a b')
  assert.equal(p.properties.DELAY, '3')
  assert.equal(p.properties.WAIT, 'true')
  assert.equal(p.properties.UNIQ_KEY, p.uniqKey)
  assert.equal(p.properties.u, 'v')
  const t = prepareMessage({ topic: 't', body: 'x', deliverAt: 5000 }, 1000)
  assert.equal(t.properties.TIMER_DELIVER_MS, '5000')
})

void test('bad messages are ConfigErrors', () => {
  const bad = [
    { topic: '', body: 'x' },
    { topic: 'a b', body: 'x' },
    { topic: 'x'.repeat(128), body: 'x' },
    { topic: 't', body: '' },
    { topic: 't', body: 'x', tags: 'a||b' },
    { topic: 't', body: 'x', keys: [''] },
    { topic: 't', body: 'x', delayLevel: 0 },
    { topic: 't', body: 'x', delayLevel: 1, deliverAt: 5 },
    { topic: 't', body: 'x', properties: { UNIQ_KEY: 'x' } },
    { topic: 't', body: 'x', flag: 2 ** 31 },
  ]
  for (const m of bad) assert.throws(() => prepareMessage(m), ConfigError, JSON.stringify(m))
})
