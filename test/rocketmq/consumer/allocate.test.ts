import { test } from 'node:test'
import assert from 'node:assert/strict'
import { allocateAveragely } from '../../../src/rocketmq/consumer/allocate.ts'

const queues = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ topic: 't', brokerName: 'b', queueId: i }))
const ids = (qs: { queueId: number }[]) => qs.map((q) => q.queueId)

void test('averaging: contiguous ranges, the first members take the remainder', () => {
  const members = ['c', 'a', 'b'] // sorted inside: a, b, c
  assert.deepEqual(ids(allocateAveragely(queues(8), members, 'a')), [0, 1, 2])
  assert.deepEqual(ids(allocateAveragely(queues(8), members, 'b')), [3, 4, 5])
  assert.deepEqual(ids(allocateAveragely(queues(8), members, 'c')), [6, 7])
})

void test('more members than queues: the extra members get nothing', () => {
  const members = ['a', 'b', 'c', 'd', 'e']
  const all = members.map((m) => ids(allocateAveragely(queues(3), members, m)))
  assert.deepEqual(all, [[0], [1], [2], [], []])
})

void test('every queue is owned exactly once for any member count', () => {
  for (let n = 1; n <= 20; n++) {
    for (let m = 1; m <= 7; m++) {
      const members = Array.from({ length: m }, (_, i) => `c${i}`)
      const owned = members.flatMap((id) => ids(allocateAveragely(queues(n), members, id)))
      assert.deepEqual(
        owned.sort((x, y) => x - y),
        Array.from({ length: n }, (_, i) => i),
        `${n} queues, ${m} members`,
      )
    }
  }
})

void test('a member not in the list gets nothing', () => {
  assert.deepEqual(allocateAveragely(queues(4), ['a'], 'z'), [])
})
