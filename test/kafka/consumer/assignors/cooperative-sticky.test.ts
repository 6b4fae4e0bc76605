import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  cooperativeStickyAssignor,
  planCooperativeSticky,
} from '../../../../src/kafka/consumer/assignors/cooperative-sticky.ts'
import type { Assignment } from '../../../../src/kafka/consumer/assignors/types.ts'
import { flat, member, owned } from './helpers.ts'

const topics = new Map([
  ['a', 4],
  ['b', 2],
])
const count = (a: Assignment, m: string) => [...a.get(m)!.values()].reduce((n, l) => n + l.length, 0)

void test('a fresh group gets every partition exactly once, balanced', () => {
  const a = cooperativeStickyAssignor.assign(
    [member('m1', ['a', 'b']), member('m2', ['a', 'b']), member('m3', ['a', 'b'])],
    topics,
  )
  const all = Object.values(flat(a)).flat().sort()
  assert.deepEqual(all, ['a-0', 'a-1', 'a-2', 'a-3', 'b-0', 'b-1'])
  for (const m of ['m1', 'm2', 'm3']) assert.equal(count(a, m), 2)
})

void test('a joining member only takes surplus partitions, withheld until the old owner revokes them', () => {
  const first = cooperativeStickyAssignor.assign([member('m1', ['a', 'b']), member('m2', ['a', 'b'])], topics)
  const m1Before = flat(first).m1!
  const m2Before = flat(first).m2!
  const members = [
    member('m1', ['a', 'b'], owned(first, 'm1')),
    member('m2', ['a', 'b'], owned(first, 'm2')),
    member('m3', ['a', 'b']),
  ]
  const plan = planCooperativeSticky(members, topics)
  const round1 = flat(plan.assignment)
  // Nobody gains a partition someone else still owns; m1 and m2 keep a subset of what they had.
  assert.deepEqual(round1.m3, [])
  for (const p of round1.m1!) assert.ok(m1Before.includes(p))
  for (const p of round1.m2!) assert.ok(m2Before.includes(p))
  const revoked = [
    ...m1Before.filter((p) => !round1.m1!.includes(p)),
    ...m2Before.filter((p) => !round1.m2!.includes(p)),
  ]
  assert.equal(revoked.length, 2) // 3+3 → 2+2(+2 for m3): exactly the surplus moves

  // Follow-up rebalance after the revocation: m3 gets exactly the revoked partitions.
  const round2 = flat(
    cooperativeStickyAssignor.assign(
      [
        member('m1', ['a', 'b'], owned(plan.assignment, 'm1'), 2),
        member('m2', ['a', 'b'], owned(plan.assignment, 'm2'), 2),
        member('m3', ['a', 'b'], [], 2),
      ],
      topics,
    ),
  )
  assert.deepEqual(round2.m1, round1.m1)
  assert.deepEqual(round2.m2, round1.m2)
  assert.deepEqual(round2.m3!.sort(), revoked.sort())
})

void test('partitions of a member that left move at once and nobody else moves', () => {
  const three = cooperativeStickyAssignor.assign(
    [member('m1', ['a', 'b']), member('m2', ['a', 'b']), member('m3', ['a', 'b'])],
    topics,
  )
  const next = flat(
    cooperativeStickyAssignor.assign(
      [member('m1', ['a', 'b'], owned(three, 'm1'), 2), member('m2', ['a', 'b'], owned(three, 'm2'), 2)],
      topics,
    ),
  )
  const before = flat(three)
  for (const p of before.m1!) assert.ok(next.m1!.includes(p))
  for (const p of before.m2!) assert.ok(next.m2!.includes(p))
  assert.deepEqual([...next.m1!, ...next.m2!].sort(), ['a-0', 'a-1', 'a-2', 'a-3', 'b-0', 'b-1'])
  assert.equal(next.m1!.length, 3)
})

void test('a partition claimed twice goes to the claim with the newer generation', () => {
  const a = flat(
    cooperativeStickyAssignor.assign(
      [
        member('old', ['b'], [{ topic: 'b', partitions: [0, 1] }], 3),
        member('new', ['b'], [{ topic: 'b', partitions: [0] }], 4),
      ],
      new Map([['b', 2]]),
    ),
  )
  assert.deepEqual(a, { old: ['b-1'], new: ['b-0'] })
})

void test('owned partitions of deleted topics or dropped subscriptions are not kept', () => {
  const plan = planCooperativeSticky(
    [
      member(
        'm1',
        ['b'],
        [
          { topic: 'gone', partitions: [0] },
          { topic: 'a', partitions: [0] },
          { topic: 'b', partitions: [5] },
        ],
      ),
      member('m2', ['a']),
    ],
    topics,
  )
  const f = flat(plan.assignment)
  assert.deepEqual(f.m1, ['b-0', 'b-1'])
  // a-0 was owned by m1 (who no longer subscribes): withheld from m2 until m1 revokes it.
  assert.deepEqual(f.m2, ['a-1', 'a-2', 'a-3'])
})

void test('balance holds with many members and uneven subscriptions', () => {
  const t = new Map([
    ['x', 10],
    ['y', 1],
  ])
  const a = cooperativeStickyAssignor.assign(
    [member('m1', ['x', 'y']), member('m2', ['x']), member('m3', ['x']), member('m4', ['y'])],
    t,
  )
  const loads = ['m1', 'm2', 'm3', 'm4'].map((m) => count(a, m))
  assert.equal(
    loads.reduce((s, n) => s + n, 0),
    11,
  )
  assert.ok(Math.max(...loads.slice(0, 3)) - Math.min(...loads.slice(0, 3)) <= 1)
})
