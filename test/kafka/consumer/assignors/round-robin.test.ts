import assert from 'node:assert/strict'
import { test } from 'node:test'
import { roundRobinAssignor } from '../../../../src/kafka/consumer/assignors/round-robin.ts'
import { flat, member } from './helpers.ts'

void test('round-robin deals partitions of all topics in turn (Java RoundRobinAssignor)', () => {
  const a = roundRobinAssignor.assign(
    [member('c0', ['t0', 't1']), member('c1', ['t0', 't1'])],
    new Map([
      ['t0', 3],
      ['t1', 3],
    ]),
  )
  assert.deepEqual(flat(a), { c0: ['t0-0', 't0-2', 't1-1'], c1: ['t0-1', 't1-0', 't1-2'] })
})

void test('round-robin skips members not subscribed to a topic', () => {
  const a = roundRobinAssignor.assign(
    [member('c0', ['t0']), member('c1', ['t0', 't1']), member('c2', ['t0', 't1', 't2'])],
    new Map([
      ['t0', 1],
      ['t1', 2],
      ['t2', 3],
    ]),
  )
  assert.deepEqual(flat(a), { c0: ['t0-0'], c1: ['t1-0'], c2: ['t1-1', 't2-0', 't2-1', 't2-2'] })
})
