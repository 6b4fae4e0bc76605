import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  Accumulator,
  estimateRecordSize,
  type PendingRecord,
} from '../../../src/kafka/producer/accumulator.ts'

const rec = (size: number): PendingRecord => ({
  key: null,
  value: new Uint8Array(size),
  headers: [],
  timestamp: 0,
  size,
  resolve() {},
  reject() {},
})

void test('records batch per partition until batchSize, then a new batch opens', () => {
  const acc = new Accumulator({ batchSize: 211, lingerMs: 10, deliveryTimeoutMs: 1000 })
  assert.deepEqual(acc.append('t', 0, rec(50), 0), { batchFull: false, newBatch: false, alone: true })
  assert.equal(acc.append('t', 0, rec(50), 0).batchFull, false)
  assert.equal(acc.append('t', 0, rec(50), 0).batchFull, true) // 61 + 150 reaches 211
  assert.deepEqual(acc.append('t', 0, rec(50), 0), { batchFull: false, newBatch: true, alone: false })
  assert.equal(acc.append('t', 1, rec(10), 0).newBatch, false)
  assert.equal(acc.pendingRecords, 5)
})

void test('alone: the partition has only this batch and nothing in flight; hasUnsent counts batches not in flight', () => {
  const acc = new Accumulator({ batchSize: 1000, lingerMs: 0, deliveryTimeoutMs: 1000, maxInFlight: 5 })
  assert.equal(acc.hasUnsent, false)
  assert.equal(acc.append('t', 0, rec(10), 0).alone, true)
  assert.equal(acc.append('t', 0, rec(10), 0).alone, true, 'joins the same lone batch')
  assert.equal(acc.hasUnsent, true)
  const [first] = acc.ready(0, false).ready
  acc.markInFlight(first!.batch, 1)
  assert.equal(acc.hasUnsent, false)
  assert.equal(acc.append('t', 0, rec(10), 0).alone, false, 'a batch of the partition is in flight')
  assert.equal(acc.hasUnsent, true)
  assert.equal(acc.append('t', 1, rec(10), 0).alone, true, 'another partition is idle')
  acc.complete(first!.batch)
  assert.equal(acc.inFlightBatches, 0)
  for (const { batch } of acc.ready(0, false).ready) acc.markInFlight(batch, 1)
  assert.equal(acc.hasUnsent, false)
  assert.equal(acc.inFlightBatches, 2)
  const [a, b] = [...acc.batches()]
  acc.requeue(a!, 0)
  assert.equal(acc.hasUnsent, true, 'a batch back for a retry is unsent')
  acc.complete(a!)
  acc.complete(b!)
  assert.equal(acc.hasUnsent, false)
  assert.equal(acc.pendingRecords, 0)
})

void test('a batch is ready when full, lingered, forced, or followed by another', () => {
  const acc = new Accumulator({ batchSize: 1000, lingerMs: 10, deliveryTimeoutMs: 1000 })
  acc.append('t', 0, rec(10), 100)
  let r = acc.ready(105, false)
  assert.equal(r.ready.length, 0)
  assert.equal(r.nextCheckMs, 5)
  assert.equal(acc.ready(110, false).ready.length, 1)
  assert.equal(acc.ready(101, true).ready.length, 1)
  acc.append('t', 1, rec(2000), 100) // bigger than batchSize: its own batch, full at once
  r = acc.ready(101, false)
  assert.deepEqual(
    r.ready.map((b) => b.batch.partition),
    [1],
  )
})

const batches = (acc: Accumulator, now: number, leaderOf?: (t: string, p: number) => number) =>
  acc.ready(now, false, leaderOf).ready.map((r) => r.batch)

void test('without pipelining: one batch in flight per partition; a retried batch stays at the head with its sequence', () => {
  const acc = new Accumulator({ batchSize: 100, lingerMs: 0, deliveryTimeoutMs: 1000 })
  for (let i = 0; i < 4; i++) acc.append('t', 0, rec(30), 0)
  const [first] = batches(acc, 0)
  assert.ok(first)
  first.baseSequence = 0
  acc.markInFlight(first, 1)
  assert.equal(acc.ready(0, false).ready.length, 0, 'nothing else of partition 0 while one is in flight')
  acc.requeue(first, 50)
  assert.equal(acc.ready(10, false).ready.length, 0, 'backoff respected')
  const [again] = batches(acc, 50)
  assert.equal(again, first)
  assert.equal(again!.baseSequence, 0)
  acc.markInFlight(first, 1)
  acc.complete(first)
  const [second] = batches(acc, 50)
  assert.notEqual(second, first)
  assert.equal(acc.pendingRecords, 4 - first.records.length)
})

void test('pipelining: up to maxInFlight batches of a partition, in queue order, numbered by round', () => {
  const acc = new Accumulator({ batchSize: 130, lingerMs: 0, deliveryTimeoutMs: 1000, maxInFlight: 3 })
  for (let i = 0; i < 10; i++) acc.append('t', 0, rec(30), 0) // 5 batches of 2 (the last one open)
  acc.append('t', 1, rec(30), 0)
  const r = acc.ready(0, false).ready
  assert.deepEqual(
    r.map((x) => [x.batch.partition, x.round]),
    [
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
    ],
  )
  const all = [...acc.batches()].filter((b) => b.partition === 0)
  assert.deepEqual(
    r.filter((x) => x.batch.partition === 0).map((x) => x.batch),
    all.slice(0, 3),
  )
  for (const x of r) acc.markInFlight(x.batch, 7)
  assert.equal(acc.inFlightBatches, 4)
  assert.equal(acc.ready(0, false).ready.length, 0, 'partition 0 is at its limit, partition 1 has nothing')
  acc.complete(all[0]!)
  assert.deepEqual(
    batches(acc, 0, () => 7),
    [all[3]],
    'one slot freed: the next batch in order',
  )
  assert.deepEqual(
    batches(acc, 0, () => 8),
    [],
    'the leader moved: wait until the in-flight ones came back',
  )
})

void test('pipelining waits while `pipelines` says the partition is not known to the broker yet', () => {
  const acc = new Accumulator({ batchSize: 130, lingerMs: 0, deliveryTimeoutMs: 1000, maxInFlight: 5 })
  for (let i = 0; i < 6; i++) acc.append('t', 0, rec(30), 0) // 3 batches of 2
  let known = false
  const pipelines = () => known
  const first = acc.ready(0, false, undefined, pipelines).ready
  assert.deepEqual(
    first.map((x) => x.round),
    [0],
    'an unknown partition sends its first batch alone',
  )
  acc.markInFlight(first[0]!.batch, 1)
  assert.equal(acc.ready(0, false, undefined, pipelines).ready.length, 0, 'nothing behind it meanwhile')
  acc.complete(first[0]!.batch)
  known = true
  assert.deepEqual(
    acc.ready(0, false, undefined, pipelines).ready.map((x) => x.round),
    [0, 1],
    'once known, the rest pipelines',
  )
})

void test('pipelining: after a failure nothing new is sent until the in-flight batches came back, then all resend in order', () => {
  const acc = new Accumulator({ batchSize: 130, lingerMs: 0, deliveryTimeoutMs: 1000, maxInFlight: 5 })
  for (let i = 0; i < 8; i++) acc.append('t', 0, rec(30), 0) // 4 batches
  const first = batches(acc, 0)
  assert.equal(first.length, 4)
  first.forEach((b, i) => {
    b.baseSequence = i * 2
    acc.markInFlight(b, 1)
  })
  acc.append('t', 0, rec(30), 0)
  acc.append('t', 0, rec(30), 0) // a fifth batch, full
  acc.requeue(first[0]!, 0) // NOT_LEADER for the oldest
  assert.ok(acc.hasOlderPending(first[1]!))
  assert.ok(!acc.hasOlderPending(first[0]!))
  assert.deepEqual(batches(acc, 10), [], 'three still in flight: wait')
  acc.requeue(first[1]!, 0) // OUT_OF_ORDER_SEQUENCE: expected after the gap
  acc.requeue(first[2]!, 0)
  assert.deepEqual(batches(acc, 10), [])
  acc.requeue(first[3]!, 0)
  const again = batches(acc, 10)
  assert.deepEqual(again.slice(0, 4), first, 'the same batches, oldest first')
  assert.deepEqual(
    again.slice(0, 4).map((b) => b.baseSequence),
    [0, 2, 4, 6],
  )
  assert.equal(again.length, 5)
})

void test('drainUnsent removes everything but the in-flight batches', () => {
  const acc = new Accumulator({ batchSize: 130, lingerMs: 0, deliveryTimeoutMs: 1000, maxInFlight: 2 })
  for (let i = 0; i < 6; i++) acc.append('t', 0, rec(30), 0)
  const sent = batches(acc, 0)
  assert.equal(sent.length, 2)
  for (const b of sent) acc.markInFlight(b, 1)
  const dropped = acc.drainUnsent()
  assert.equal(dropped.reduce((n, b) => n + b.records.length, 0) + 4, 6)
  assert.deepEqual([...acc.batches()], sent)
})

void test('estimateRecordSize counts key, value and headers', () => {
  assert.equal(estimateRecordSize(null, null, []), 21)
  assert.ok(estimateRecordSize(new Uint8Array(3), new Uint8Array(5), [['h', new Uint8Array(2)]]) > 29)
})

void test('aheadInFlightOn: a batch may be written only right behind its older batches on their connection', () => {
  const acc = new Accumulator({ batchSize: 100, lingerMs: 0, deliveryTimeoutMs: 1000, maxInFlight: 5 })
  acc.append('t', 0, rec(50), 0) // batch A (closes at 111 bytes)
  acc.append('t', 0, rec(50), 0) // batch B
  const [a, b] = acc.ready(0, true).ready.map((r) => r.batch)
  const conn1 = {}
  const conn2 = {}
  assert.equal(acc.aheadInFlightOn(a!, conn1), true, 'nothing ahead of the oldest batch')
  acc.markInFlight(a!, 1)
  a!.sentOn = conn1
  acc.markInFlight(b!, 1)
  assert.equal(acc.aheadInFlightOn(b!, conn1), true, 'A is in flight on the same connection')
  assert.equal(acc.aheadInFlightOn(b!, conn2), false, 'A went out on a connection that has died since')
  acc.requeue(a!, 10)
  assert.equal(acc.aheadInFlightOn(b!, conn1), false, 'A waits for a retry: B must not overtake it')
  acc.complete(a!)
  assert.equal(acc.aheadInFlightOn(b!, conn2), true, 'A acknowledged: B is the oldest')
})
