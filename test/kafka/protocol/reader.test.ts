import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError } from '../../../src/core/errors.ts'
import { Reader } from '../../../src/kafka/protocol/reader.ts'
import { Writer } from '../../../src/kafka/protocol/writer.ts'

void test('fixed-width integers are big-endian', () => {
  const r = new Reader(Uint8Array.from([0xff, 0x80, 0x00, 0x12, 0x34, 0x56, 0x78, 0x80, 0, 0, 0, 0, 0, 0, 1]))
  assert.equal(r.int8(), -1)
  assert.equal(r.int16(), -32768)
  assert.equal(r.int32(), 0x12345678)
  assert.equal(r.int64(), -(2n ** 63n) + 1n)
  assert.equal(r.remaining, 0)
})

void test('unsigned varints: spec examples and the 32-bit limit', () => {
  assert.equal(new Reader(Uint8Array.from([0x00])).uvarint(), 0)
  assert.equal(new Reader(Uint8Array.from([0x96, 0x01])).uvarint(), 150)
  assert.equal(new Reader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f])).uvarint(), 0xffffffff)
  assert.throws(() => new Reader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x10])).uvarint(), ProtocolError)
  assert.throws(() => new Reader(Uint8Array.from([0x80, 0x80])).uvarint(), ProtocolError)
})

void test('zigzag varints and varlongs round-trip at the edges', () => {
  const ints = [0, -1, 1, -64, 63, 64, -65, 2 ** 31 - 1, -(2 ** 31)]
  const longs = [0n, -1n, 1n, 2n ** 28n, -(2n ** 28n), 2n ** 63n - 1n, -(2n ** 63n), 1700000000000n]
  const w = new Writer(8)
  for (const v of ints) w.varint(v)
  for (const v of longs) w.varlong(v)
  w.varlongNumber(-5)
  w.varlongNumber(1700000000000)
  const r = new Reader(w.finish())
  for (const v of ints) assert.equal(r.varint(), v)
  for (const v of longs) assert.equal(r.varlong(), v)
  assert.equal(r.varlongNumber(), -5)
  assert.equal(r.varlongNumber(), 1700000000000)
  assert.equal(r.remaining, 0)
  // zigzag: -1 is 1, 1 is 2 (spec examples)
  const one = new Writer(4)
  one.varint(-1)
  one.varint(1)
  assert.deepEqual([...one.finish()], [1, 2])
})

void test('a varlong longer than 10 bytes or past 64 bits is rejected', () => {
  assert.throws(() => new Reader(new Uint8Array(11).fill(0xff)).varlong(), ProtocolError)
  assert.throws(
    () => new Reader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])).varlong(),
    ProtocolError,
  )
})

void test('reads past the end throw ProtocolError, never RangeError', () => {
  const r = new Reader(Uint8Array.from([1, 2, 3]))
  assert.throws(() => r.int32(), ProtocolError)
  assert.equal(r.offset, 0, 'a failed read consumes nothing')
  assert.throws(() => r.raw(4), ProtocolError)
  assert.throws(() => r.utf8(10), ProtocolError)
  assert.throws(() => r.checkCount(2, 2, 'things'), ProtocolError)
  r.checkCount(1, 3, 'things')
})

void test('a reader bounded inside a larger buffer never reads beyond its end', () => {
  const r = new Reader(Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 2]), 0, 4)
  assert.equal(r.int32(), 1)
  assert.throws(() => r.int8(), ProtocolError)
})

void test('strings: ASCII fast path, UTF-8, invalid UTF-8 is a ProtocolError', () => {
  const w = new Writer(4)
  w.string('topic-1')
  w.compactString('héllo €')
  w.string(null)
  w.compactString(null)
  const r = new Reader(w.finish())
  assert.equal(r.utf8(r.stringLength()), 'topic-1')
  assert.equal(r.utf8(r.compactLength()), 'héllo €')
  assert.equal(r.stringLength(), -1)
  assert.equal(r.compactLength(), -1)
  assert.throws(() => new Reader(Uint8Array.from([0xc3, 0x28])).utf8(2), ProtocolError)
  assert.throws(() => new Reader(Uint8Array.from([0xff, 0xfe])).stringLength(), ProtocolError)
})

void test('bytes are views into the frame, not copies', () => {
  const frame = Uint8Array.from([0, 0, 0, 2, 9, 8])
  const r = new Reader(frame)
  const b = r.raw(r.int32Length('bytes'))
  assert.deepEqual([...b], [9, 8])
  assert.equal(b.buffer, frame.buffer)
})
