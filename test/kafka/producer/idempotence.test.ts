import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ProducerBatch } from '../../../src/kafka/producer/accumulator.ts'
import { IdempotenceState } from '../../../src/kafka/producer/idempotence.ts'

const batch = (partition: number, n: number) => {
  const b = new ProducerBatch('t', partition, 0, 1000)
  for (let i = 0; i < n; i++) b.records.push({} as never)
  return b
}

void test('sequences advance per partition by record count and survive retries', () => {
  const s = new IdempotenceState()
  s.reset(7n, 0, [])
  const a = batch(0, 3)
  const b = batch(0, 2)
  const c = batch(1, 5)
  s.sequence(a)
  s.sequence(b)
  s.sequence(c)
  assert.deepEqual([a.baseSequence, b.baseSequence, c.baseSequence], [0, 3, 0])
  a.encoded = new Uint8Array(1)
  s.sequence(a) // retry
  assert.equal(a.baseSequence, 0)
  assert.ok(a.encoded, 'a retry keeps its encoded bytes')
  assert.equal(a.producerId, 7n)
})

void test('an epoch bump restarts sequences and re-sequences pending batches', () => {
  const s = new IdempotenceState()
  s.reset(7n, 0, [])
  const a = batch(0, 3)
  const b = batch(0, 2)
  s.sequence(a)
  s.sequence(b)
  s.reset(7n, 1, [b])
  assert.equal(b.baseSequence, -1)
  s.sequence(b)
  assert.equal(b.baseSequence, 0)
  assert.equal(b.producerEpoch, 1)
  assert.ok(IdempotenceState.needsEpochBump(45))
  assert.ok(IdempotenceState.needsEpochBump(59))
  assert.ok(!IdempotenceState.needsEpochBump(6))
})
