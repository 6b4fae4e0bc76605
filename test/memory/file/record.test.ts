import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { test } from 'node:test'
import { ProtocolError } from '../../../src/core/errors.ts'
import { EMPTY_HEADERS } from '../../../src/core/message.ts'
import {
  BATCH_HEADER,
  MAX_BATCH_BYTES,
  checkBatch,
  decodeRecord,
  encodeRecord,
  encodedSize,
  firstRecord,
  nextRecord,
  recordTimestamp,
  sealBatch,
  viewOf,
} from '../../../src/memory/file/record.ts'
import type { RecordFields } from '../../../src/memory/file/record.ts'

const item = {
  key: new TextEncoder().encode('clé'),
  value: Uint8Array.from([0, 1, 2, 255]),
  headers: { 'x-ü': 'värde', empty: '' },
  timestamp: 1_700_000_000_123,
}
const nulls = { key: null, value: null, headers: undefined, timestamp: 1 }

/** A batch of `items` at offset delta `delta`, exactly as the log writes it. */
function batchOf(items: RecordFields[], delta = 0): Buffer {
  const buffer = Buffer.alloc(BATCH_HEADER + items.reduce((n, i) => n + encodedSize(i), 0))
  let p = BATCH_HEADER
  for (const i of items) p = encodeRecord(buffer, p, i)
  assert.equal(p, buffer.length, 'encodedSize is exact')
  const maxTimestamp = Math.max(...items.map((i) => i.timestamp))
  sealBatch(buffer, 0, p, delta, items.length, maxTimestamp)
  return buffer
}

void test('a batch round-trips: key, value, headers, timestamps, offsets, null key and value', () => {
  const buffer = batchOf([item, nulls], 7)
  const check = checkBatch(buffer, 0, buffer.length)
  assert.deepEqual(check, {
    kind: 'batch',
    length: buffer.length,
    offsetDelta: 7,
    count: 2,
    maxTimestamp: item.timestamp,
  })
  const p = firstRecord(0)
  const m = decodeRecord(buffer, p, 't', 3, 107)
  assert.equal(m.offset, 107)
  assert.equal(m.partition, 3)
  assert.equal(m.keyString(), 'clé')
  assert.deepEqual([...m.value!], [0, 1, 2, 255])
  assert.deepEqual(m.headers, { 'x-ü': 'värde', empty: '' })
  assert.equal(m.timestamp, item.timestamp)
  const second = nextRecord(buffer, p)
  assert.equal(recordTimestamp(buffer, second), 1)
  const n = decodeRecord(buffer, second, 't', 3, 108)
  assert.equal(n.key, null)
  assert.equal(n.value, null)
  assert.equal(nextRecord(buffer, second), buffer.length)
})

void test('checkBatch tells a torn batch from a corrupt one, and never trusts a huge length', () => {
  const buffer = batchOf([item, item, nulls])
  const size = buffer.length
  assert.equal(checkBatch(buffer, 0, 5).kind, 'incomplete')
  assert.deepEqual(checkBatch(buffer, 0, size - 1), { kind: 'incomplete', needed: size })
  for (let at = 8; at < size; at++) {
    const flipped = Buffer.from(buffer)
    flipped[at]! ^= 1
    assert.deepEqual(
      checkBatch(flipped, 0, size),
      { kind: 'corrupt', reason: 'CRC-32 mismatch' },
      `byte ${at}`,
    )
  }
  const huge = Buffer.from(buffer)
  huge.writeUInt32LE(MAX_BATCH_BYTES, 0)
  assert.equal(checkBatch(huge, 0, size).kind, 'corrupt')
  const tiny = Buffer.from(buffer)
  tiny.writeUInt32LE(3, 0)
  assert.equal(checkBatch(tiny, 0, size).kind, 'corrupt')
})

void test('a batch whose records do not exactly fill it is corrupt even with a matching checksum', () => {
  const buffer = batchOf([item, item])
  const reseal = (mutate: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(buffer)
    mutate(b)
    sealBatch(b, 0, b.length, 0, b.readUInt32LE(12), item.timestamp)
    return b
  }
  const tooFew = reseal((b) => b.writeUInt32LE(1, 12)) // count says 1, two records follow
  assert.deepEqual(checkBatch(tooFew, 0, tooFew.length), {
    kind: 'corrupt',
    reason: 'records do not fill the batch',
  })
  const tooMany = reseal((b) => b.writeUInt32LE(3, 12))
  assert.equal(checkBatch(tooMany, 0, tooMany.length).kind, 'corrupt')
  const zero = reseal((b) => b.writeUInt32LE(0, 12))
  assert.equal(checkBatch(zero, 0, zero.length).kind, 'corrupt')
  const longRecord = reseal((b) => b.writeUInt32LE(1_000_000, BATCH_HEADER))
  assert.equal(checkBatch(longRecord, 0, longRecord.length).kind, 'corrupt')
})

void test('decoding a record whose fields run past its end fails with ProtocolError', () => {
  const buffer = batchOf([item])
  buffer.writeInt32LE(1_000_000, BATCH_HEADER + 4 + 8) // key length far beyond the record
  assert.throws(() => decodeRecord(buffer, BATCH_HEADER, 't', 0, 0), ProtocolError)
})

void test('records without headers (the shared empty object) and with them encode alike, in any buffer slice', () => {
  const empty = { ...item, headers: EMPTY_HEADERS }
  const exact = Buffer.alloc(BATCH_HEADER + encodedSize(empty))
  encodeRecord(exact, BATCH_HEADER, empty)
  const viaUndefined = Buffer.alloc(exact.length)
  encodeRecord(viaUndefined, BATCH_HEADER, { ...item, headers: undefined })
  assert.deepEqual(exact, viaUndefined, 'EMPTY_HEADERS is stored as "no headers"')
  assert.equal(encodedSize(empty), encodedSize({ ...item, headers: undefined }))

  // Mixed records, encoded through one view into a slice that starts inside a larger buffer.
  const items: RecordFields[] = [empty, item, nulls, { ...item, timestamp: -0.5 }, empty]
  const body = items.reduce((n, i) => n + encodedSize(i), 0)
  const outer = Buffer.alloc(13 + BATCH_HEADER + body + 5, 0xee)
  const slice = outer.subarray(13, 13 + BATCH_HEADER + body)
  const view = viewOf(slice)
  let p = BATCH_HEADER
  for (const i of items) p = encodeRecord(slice, p, i, view)
  assert.equal(p, slice.length)
  sealBatch(slice, 0, p, 0, items.length, item.timestamp)
  assert.deepEqual(outer.subarray(0, 13), Buffer.alloc(13, 0xee), 'nothing written before the slice')
  assert.deepEqual(outer.subarray(13 + slice.length), Buffer.alloc(5, 0xee), 'nor after it')
  assert.deepEqual(Buffer.from(slice), batchOf(items), 'same bytes as encoding without a view')
  assert.equal(checkBatch(slice, 0, slice.length).kind, 'batch')
  let at = firstRecord(0)
  for (let n = 0; n < items.length; n++) {
    const m = decodeRecord(slice, at, 't', 0, n)
    assert.deepEqual(decodeRecord(slice, at, 't', 0, n, view), m, 'the same through a shared view')
    assert.equal(nextRecord(slice, at, view), nextRecord(slice, at))
    assert.equal(m.timestamp, items[n]!.timestamp)
    assert.deepEqual(m.headers, items[n]!.headers ?? {})
    const value = items[n]!.value
    assert.deepEqual(m.value === null ? null : [...m.value], value === null ? null : [...value])
    at = nextRecord(slice, at)
  }
})

void test('decoding checks every field against the end of its record, not of the buffer', () => {
  const two = batchOf([item, item])
  const first = firstRecord(0)
  const second = nextRecord(two, first)
  const fails = (mutate: (b: Buffer) => void, message: RegExp) => {
    const b = Buffer.from(two)
    mutate(b)
    assert.throws(
      () => decodeRecord(b, first, 't', 0, 0),
      (e: unknown) => {
        assert.ok(e instanceof ProtocolError)
        assert.equal(e.code, 'CONDUIT_CORRUPT_LOG')
        assert.match(e.message, message)
        return true
      },
    )
  }
  const keyAt = first + 12
  const valueAt = keyAt + 4 + item.key.length
  // Each length reaches into the second record: inside the buffer, outside its own record.
  fails((b) => b.writeInt32LE(second - keyAt, keyAt), /field length .* out of bounds/)
  fails((b) => b.writeInt32LE(-2, keyAt), /field length -2/)
  fails((b) => b.writeInt32LE(second - valueAt, valueAt), /field length .* out of bounds/)
  fails((b) => b.writeUInt32LE(10, first), /runs past the end/) // record too short for its key length
  fails((b) => b.writeUInt16LE(9, valueAt + 4 + item.value.length), /header/) // too many headers
})
