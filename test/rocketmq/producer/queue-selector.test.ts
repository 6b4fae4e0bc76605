import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RoundRobin, selectByHash } from '../../../src/rocketmq/producer/queue-selector.ts'

const queues = [
  ...Array.from({ length: 2 }, (_, i) => ({ topic: 't', brokerName: 'a', queueId: i })),
  ...Array.from({ length: 2 }, (_, i) => ({ topic: 't', brokerName: 'b', queueId: i })),
]

void test('hash selection matches Java SelectMessageQueueByHash (|hashCode % n|)', () => {
  // "order-42".hashCode() = 1234255197 → % 4 = 1
  assert.equal(selectByHash(queues, 'order-42'), queues[1])
  // "polygenelubricants".hashCode() = Integer.MIN_VALUE: Java takes |MIN % 3| = |-2| = 2
  assert.equal(selectByHash(queues.slice(0, 3), 'polygenelubricants'), queues[2])
  assert.equal(selectByHash(queues, 'polygenelubricants'), queues[0])
  for (let i = 0; i < 100; i++) assert.equal(selectByHash(queues, `k${i}`), selectByHash(queues, `k${i}`))
})

void test('round-robin visits every queue and avoids a failed broker', () => {
  const rr = new RoundRobin()
  const seen = new Set(Array.from({ length: 4 }, () => rr.select(queues)))
  assert.equal(seen.size, 4)
  for (let i = 0; i < 10; i++) assert.equal(rr.select(queues, 'a').brokerName, 'b')
})
