import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProcessQueue } from '../../../src/rocketmq/consumer/process-queue.ts'

void test('the commit offset never passes an unacknowledged message', () => {
  const pq = new ProcessQueue(10)
  assert.equal(pq.commitOffset(), 10)
  pq.add([10, 11, 12, 13].map((offset) => ({ offset, size: 5 })))
  pq.nextOffset = 14
  assert.equal(pq.count, 4)
  assert.equal(pq.bytes, 20)
  assert.equal(pq.remove([11, 13]), 10, 'out-of-order acks keep the offset at the oldest unacked')
  assert.equal(pq.remove([10]), 12)
  assert.equal(pq.remove([12]), 14, 'all acked: the next pull offset')
  assert.equal(pq.bytes, 0)
  assert.equal(pq.remove([12]), 14, 'acking twice is harmless')
})

void test('duplicates are counted once; drop is sticky', () => {
  const pq = new ProcessQueue(0)
  pq.add([{ offset: 0, size: 3 }])
  pq.add([{ offset: 0, size: 3 }])
  assert.equal(pq.count, 1)
  assert.equal(pq.bytes, 3)
  pq.drop()
  assert.ok(pq.dropped)
})
