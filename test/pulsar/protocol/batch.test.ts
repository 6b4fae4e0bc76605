import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ProtocolError } from '../../../src/core/errors.ts'
import { concatBytes, decodeBatch, encodeBatchEntry } from '../../../src/pulsar/protocol/batch.ts'

void test('batch entries round-trip with their single-message metadata', () => {
  const payload = concatBytes([
    ...encodeBatchEntry(
      { partitionKey: 'k1', properties: [{ key: 'h', value: 'v' }], eventTime: 77n, sequenceId: 3n },
      new Uint8Array([1, 2]),
    ),
    ...encodeBatchEntry({ nullValue: true }, new Uint8Array(0)),
    ...encodeBatchEntry({ orderingKey: new Uint8Array([9]) }, new Uint8Array([3])),
  ])
  const entries = decodeBatch(payload, 3)
  assert.equal(entries.length, 3)
  assert.equal(entries[0]!.metadata.partitionKey, 'k1')
  assert.equal(entries[0]!.metadata.properties[0]!.value, 'v')
  assert.equal(entries[0]!.metadata.eventTime, 77n)
  assert.deepEqual([...entries[0]!.payload], [1, 2])
  assert.equal(entries[1]!.metadata.nullValue, true)
  assert.deepEqual([...entries[2]!.metadata.orderingKey], [9])
  assert.deepEqual([...entries[2]!.payload], [3])
})

void test('the first entry is byte-exact: size, metadata with payload_size, payload', () => {
  const bytes = concatBytes(encodeBatchEntry({}, new Uint8Array([0xaa])))
  // metadata = field 3 (payload_size) varint 1 → 18 01
  assert.equal(Buffer.from(bytes).toString('hex'), '00000002' + '1801' + 'aa')
})

void test('a batch that claims more entries than it holds is a ProtocolError', () => {
  const payload = concatBytes(encodeBatchEntry({}, new Uint8Array([1])))
  assert.throws(() => decodeBatch(payload, 2), ProtocolError)
  assert.throws(() => decodeBatch(payload.subarray(0, payload.length - 1), 1), ProtocolError)
})
