import assert from 'node:assert/strict'
import { test } from 'node:test'
import { rangeAssignor } from '../../../../src/kafka/consumer/assignors/range.ts'
import { flat, member } from './helpers.ts'

void test('range gives contiguous ranges per topic, extras to the first members (Java RangeAssignor)', () => {
  const a = rangeAssignor.assign(
    [member('c1', ['t1', 't2']), member('c0', ['t1', 't2'])],
    new Map([
      ['t1', 3],
      ['t2', 3],
    ]),
  )
  assert.deepEqual(flat(a), { c0: ['t1-0', 't1-1', 't2-0', 't2-1'], c1: ['t1-2', 't2-2'] })
})

void test('range only gives a topic to its subscribers and orders static members by instance id', () => {
  const a = rangeAssignor.assign(
    [member('zz', ['a', 'b'], [], 1, 'i-1'), member('aa', ['a'], [], 1, 'i-2')],
    new Map([
      ['a', 2],
      ['b', 2],
    ]),
  )
  assert.deepEqual(flat(a), { zz: ['a-0', 'b-0', 'b-1'], aa: ['a-1'] })
})
