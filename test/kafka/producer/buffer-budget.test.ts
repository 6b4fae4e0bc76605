import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BufferFullError, ClosedError, MessageTooLargeError } from '../../../src/core/errors.ts'
import { BufferBudget } from '../../../src/kafka/producer/buffer-budget.ts'

void test('reservations fail fast, block until release, and keep FIFO order', async () => {
  const b = new BufferBudget(100, 10)
  assert.equal(b.tryReserve(60), true)
  assert.equal(b.tryReserve(60), false)
  await assert.rejects(b.reserve(60, 0), BufferFullError)
  const order: string[] = []
  const big = b.reserve(80, 1000).then(() => order.push('big'))
  const small = b.reserve(10, 1000).then(() => order.push('small'))
  assert.equal(b.tryReserve(1), false, 'no overtaking while someone waits')
  b.release(60)
  await Promise.all([big, small])
  assert.deepEqual(order, ['big', 'small'])
  assert.equal(b.usedBytes, 90)
})

void test('waiting times out with BufferFullError; too-large and closed fail clearly', async () => {
  const b = new BufferBudget(100, 1)
  b.tryReserve(1)
  await assert.rejects(b.reserve(1, 20), BufferFullError) // record count limit
  assert.throws(() => b.tryReserve(101), MessageTooLargeError)
  const waiting = b.reserve(5, 10_000)
  b.close()
  await assert.rejects(waiting, ClosedError)
  assert.throws(() => b.tryReserve(1), ClosedError)
})
