import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BatchRecord, BatchResult } from '../../../src/kafka/producer/batch-result.ts'

const meta = (offset: number) => ({ topic: 't', partition: 0, offset, timestamp: 1 })

function budget() {
  const released: number[] = []
  return { released, release: (n: number) => void released.push(n) }
}

const fields = (size: number) => ({ key: null, value: null, headers: [], timestamp: 1, size })

void test('resolves with every acknowledgement in record order, whatever order they arrive in', async () => {
  const b = budget()
  const result = new BatchResult(3)
  const records = [0, 1, 2].map((i) => new BatchRecord(fields(10 + i), b, result, i))
  records[2]!.resolve(meta(12))
  records[0]!.resolve(meta(10))
  let settled = false
  void result.promise.then(() => (settled = true))
  await Promise.resolve()
  assert.equal(settled, false, 'not before the last record')
  records[1]!.resolve(meta(11))
  assert.deepEqual(
    (await result.promise).map((m) => m.offset),
    [10, 11, 12],
  )
  assert.deepEqual(b.released.sort(), [10, 11, 12], 'each record gives its buffer space back')
})

void test('the first failure rejects; later outcomes are ignored but still release their space', async () => {
  const b = budget()
  const result = new BatchResult(3)
  const records = [0, 1, 2].map((i) => new BatchRecord(fields(5), b, result, i))
  records[0]!.resolve(meta(0))
  records[1]!.reject(new Error('first'))
  records[2]!.reject(new Error('second'))
  await assert.rejects(result.promise, /first/)
  assert.equal(b.released.length, 3)
})

void test('a failure at the call (before any record is buffered) and an empty batch', async () => {
  const result = new BatchResult(2)
  result.fail(new Error('bad record'))
  result.ok(1, meta(1))
  await assert.rejects(result.promise, /bad record/)
  assert.deepEqual(await new BatchResult(0).promise, [])
})
