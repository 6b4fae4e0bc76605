import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FetchSession, type FetchPartitionRequest } from '../../../src/kafka/consumer/fetch-session.ts'

const id = new Uint8Array(16)
const p = (partition: number, offset: number): FetchPartitionRequest => ({
  topic: 't',
  topicId: id,
  partition,
  fetchOffset: BigInt(offset),
  currentLeaderEpoch: -1,
  partitionMaxBytes: 1000,
})

void test('full fetch first, then only changed partitions and forgotten ones', () => {
  const s = new FetchSession()
  let r = s.build([p(0, 0), p(1, 0)])
  assert.equal(r.full, true)
  assert.equal(r.sessionId, 0)
  assert.equal(r.partitions.length, 2)
  s.onResponse(77, 0)
  r = s.build([p(0, 5), p(1, 0)])
  assert.deepEqual([r.sessionId, r.sessionEpoch, r.full], [77, 1, false])
  assert.deepEqual(
    r.partitions.map((x) => x.partition),
    [0],
  )
  s.onResponse(77, 0)
  r = s.build([p(0, 5)])
  assert.equal(r.sessionEpoch, 2)
  assert.deepEqual(r.partitions, [])
  assert.deepEqual(
    r.forgotten.map((x) => x.partition),
    [1],
  )
})

void test('a session error or a broker without sessions goes back to full fetches', () => {
  const s = new FetchSession()
  s.build([p(0, 0)])
  s.onResponse(5, 0)
  s.build([p(0, 1)])
  s.onResponse(0, 71)
  let r = s.build([p(0, 1)])
  assert.equal(r.full, true)
  s.onResponse(0, 0) // no session granted
  r = s.build([p(0, 2)])
  assert.equal(r.full, true)
  assert.equal(r.sessionEpoch, 0)
})
