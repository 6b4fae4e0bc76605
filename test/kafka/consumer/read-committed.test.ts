import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AbortedTransactionFilter, isAbortControlKey } from '../../../src/kafka/consumer/read-committed.ts'

const data = (baseOffset: number, producerId: number, isTransactional = true) => ({
  baseOffset: BigInt(baseOffset),
  producerId: BigInt(producerId),
  isTransactional,
  isControl: false,
})
const marker = (baseOffset: number, producerId: number, abort: boolean) => ({
  baseOffset: BigInt(baseOffset),
  producerId: BigInt(producerId),
  isTransactional: true,
  isControl: true,
  isAbortMarker: abort,
})

void test('aborted transactions are skipped until their ABORT marker; committed ones and others kept', () => {
  const f = new AbortedTransactionFilter([{ producerId: 7n, firstOffset: 10n }])
  assert.equal(f.keep(data(0, 7)), true, 'before the aborted transaction started')
  assert.equal(f.keep(data(10, 7)), false)
  assert.equal(f.keep(data(12, 8)), true, 'another producer interleaved')
  assert.equal(f.keep(data(13, 9, false)), true, 'non-transactional')
  assert.equal(f.keep(marker(15, 7, true)), false, 'markers are never delivered')
  assert.equal(f.keep(data(16, 7)), true, 'the next transaction of that producer is kept')
  assert.equal(f.keep(marker(17, 7, false)), false)
})

void test('control record keys decode ABORT (0) and COMMIT (1)', () => {
  assert.equal(isAbortControlKey(new Uint8Array([0, 0, 0, 0])), true)
  assert.equal(isAbortControlKey(new Uint8Array([0, 0, 0, 1])), false)
})
