import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMessage } from '../../../src/core/message.ts'
import { PartitionState } from '../../../src/kafka/consumer/partition-state.ts'

function fill(state: PartitionState, from: number, to: number): void {
  for (let offset = from; offset < to; offset++) {
    state.buffered.push(
      createMessage({
        topic: 't',
        partition: 0,
        offset,
        id: `t:0:${offset}`,
        key: null,
        value: null,
        timestamp: 0,
      }),
    )
  }
}

void test('commits only the acknowledged prefix, even when batches are acked out of order', () => {
  const s = new PartitionState('t', 0)
  s.startFrom(10n, true)
  assert.equal(s.commitPosition, undefined, 'nothing new to commit at the committed start')
  fill(s, 10, 20)
  const first = s.take(3) // 10..12
  const second = s.take(3) // 13..15
  const third = s.take(4) // 16..19
  assert.equal(
    s.ack(second[0]!.offset, second.at(-1)!.offset + 1),
    false,
    'second acked first: nothing moves',
  )
  assert.equal(s.commitPosition, undefined)
  assert.equal(s.ack(first[0]!.offset, first.at(-1)!.offset + 1), true)
  assert.equal(s.commitPosition, 16, 'first and second are both done')
  s.committed = 16
  assert.equal(s.commitPosition, undefined)
  s.ack(third[0]!.offset, 20)
  assert.equal(s.commitPosition, 20)
})

void test('seek drops the buffer and forgets handed-out ranges', () => {
  const s = new PartitionState('t', 0)
  s.startFrom(0n, false)
  fill(s, 0, 5)
  const batch = s.take(5)
  const token = s.token
  s.seek(2n)
  assert.notEqual(s.token, token)
  assert.equal(s.buffered.length, 0)
  assert.equal(s.ack(batch[0]!.offset, 5), false, 'an ack from before the seek is ignored')
  assert.equal(s.commitPosition, 2)
})
