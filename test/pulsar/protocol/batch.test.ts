import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ProtocolError } from '../../../src/core/errors.ts'
import {
  concatBytes,
  decodeBatch,
  encodeBatch,
  encodeBatchEntry,
} from '../../../src/pulsar/protocol/batch.ts'
import { encodeSingleMetadata } from '../../../src/pulsar/protocol/fast-single-metadata.ts'

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

void test('encodeBatch writes the same bytes as the entries encoded one by one', () => {
  let s = 11
  const r = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32)
  for (let round = 0; round < 200; round++) {
    const n = 1 + Math.floor(r() * 40)
    const metas: Uint8Array[] = []
    const payloads: Uint8Array[] = []
    const parts: Uint8Array[] = []
    for (let i = 0; i < n; i++) {
      const payload = Uint8Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256))
      const fields = {
        ...(r() < 0.5 ? { partitionKey: `k${Math.floor(r() * 1e6)}` } : {}),
        ...(r() < 0.5 ? { properties: [{ key: 'i', value: String(i) }] } : {}),
        sequenceId: BigInt(Math.floor(r() * 2 ** 40)),
      }
      metas.push(encodeSingleMetadata({ ...fields, payloadSize: payload.length }))
      payloads.push(payload)
      parts.push(...encodeBatchEntry(fields, payload))
    }
    const one = encodeBatch(metas, payloads)
    assert.equal(Buffer.from(one).toString('hex'), Buffer.from(concatBytes(parts)).toString('hex'))
    assert.equal(decodeBatch(one, n).length, n)
  }
})
