import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { MessageId } from '../../../src/pulsar/protocol/message-id.ts'

void test('message ids serialize as MessageIdData bytes (the Java toByteArray form)', () => {
  const id = new MessageId(12n, 34n, 2, 5)
  // ledgerId=12 (08 0c) entryId=34 (10 22) partition=2 (18 02) batch_index=5 (20 05)
  assert.equal(Buffer.from(id.toBytes()).toString('hex'), '080c' + '1022' + '1802' + '2005')
  assert.ok(MessageId.fromBytes(id.toBytes()).equals(id))
})

void test('earliest and latest keep their sentinel values through bytes', () => {
  assert.equal(MessageId.fromBytes(MessageId.earliest.toBytes()).ledgerId, -1n)
  assert.equal(MessageId.fromBytes(MessageId.latest.toBytes()).entryId, 0x7fffffffffffffffn)
})

void test('string form is ledger:entry:partition:batch and parses back', () => {
  const id = new MessageId(7n, 8n, -1, 3)
  assert.equal(id.toString(), '7:8:-1:3')
  assert.ok(MessageId.parse('7:8:-1:3').equals(id))
  assert.throws(() => MessageId.parse('nope'), ConfigError)
  assert.throws(() => MessageId.fromBytes(new Uint8Array([0xff, 0xff])), ConfigError)
})

void test('ids order by ledger, entry, batch index', () => {
  const a = new MessageId(1n, 5n, 0, 0)
  assert.equal(a.compare(new MessageId(1n, 5n, 0, 1)), -1)
  assert.equal(a.compare(new MessageId(0n, 9n, 0, 0)), 1)
  assert.equal(a.compare(new MessageId(1n, 5n, 0, 0)), 0)
})
