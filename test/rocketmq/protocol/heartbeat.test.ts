import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../../../src/core/errors.ts'
import { parseTagExpression, subscriptionData, tagMatches } from '../../../src/rocketmq/protocol/heartbeat.ts'

void test('tag subscriptions carry tags and their Java hash codes', () => {
  const s = subscriptionData({
    topic: 't',
    expression: ' TagA || TagB ',
    expressionType: 'TAG',
    subVersion: 7,
  })
  assert.deepEqual(s.tagsSet, ['TagA', 'TagB'])
  // "TagA".hashCode() = 84·31³ + 97·31² + 103·31 + 65 = 2598919; "TagB" = 2598920
  assert.deepEqual(s.codeSet, [2598919, 2598920])
  assert.equal(s.subString, 'TagA||TagB')
  assert.ok(tagMatches(s, 'TagA'))
  assert.ok(!tagMatches(s, 'TagC'))
  assert.ok(!tagMatches(s, undefined))
  const all = subscriptionData({ topic: 't', expression: '*', expressionType: 'TAG', subVersion: 1 })
  assert.equal(all.subString, '*')
  assert.ok(tagMatches(all, undefined))
})

void test('SQL92 subscriptions pass the expression through; bad expressions are ConfigErrors', () => {
  const s = subscriptionData({ topic: 't', expression: 'a > 1', expressionType: 'SQL92', subVersion: 1 })
  assert.equal(s.subString, 'a > 1')
  assert.equal(s.expressionType, 'SQL92')
  assert.throws(
    () => subscriptionData({ topic: 't', expression: ' ', expressionType: 'SQL92', subVersion: 1 }),
    ConfigError,
  )
  assert.throws(() => parseTagExpression('a || || b'), ConfigError)
})
