import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError } from '../../../src/core/errors.ts'
import {
  createOffsetMessageId,
  decodeOffsetMessageId,
  UniqueKeyGenerator,
} from '../../../src/rocketmq/protocol/message-id.ts'

void test('offset message id round trip, IPv4 and IPv6', () => {
  const id = createOffsetMessageId(new Uint8Array([192, 168, 1, 2]), 10911, 2 ** 40 + 5)
  assert.equal(id, 'C0A8010200002A9F0000010000000005')
  const back = decodeOffsetMessageId(id)
  assert.deepEqual([...back.address], [192, 168, 1, 2])
  assert.equal(back.port, 10911)
  assert.equal(back.commitLogOffset, 2 ** 40 + 5)
  const v6 = createOffsetMessageId(new Uint8Array(16).fill(1), 1, 2)
  assert.equal(v6.length, 56)
  assert.equal(decodeOffsetMessageId(v6).commitLogOffset, 2)
  assert.throws(() => decodeOffsetMessageId('XYZ'), ProtocolError)
  assert.throws(() => decodeOffsetMessageId('Z'.repeat(32)), ProtocolError)
})

void test('unique keys: fixed prefix, month-relative time, counter', () => {
  const gen = new UniqueKeyGenerator(new Uint8Array([10, 0, 0, 1]), 0x1234, 0x0a0b0c0d)
  const now = new Date(2026, 10, 3, 0, 0, 1).getTime() // 2 days and 1 s into the month
  const a = gen.create(now)
  const b = gen.create(now)
  assert.equal(a.length, 32)
  assert.equal(a.slice(0, 20), '0A00000112340A0B0C0D')
  assert.equal(parseInt(a.slice(20, 28), 16), 2 * 86400_000 + 1000)
  assert.equal(a.slice(28), '0000')
  assert.equal(b.slice(28), '0001')
})
