import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../../../src/core/errors.ts'
import { Writer, uvarintSize, varintSize } from '../../../src/kafka/protocol/writer.ts'

void test('grows geometrically and keeps what was written', () => {
  const w = new Writer(2)
  for (let i = 0; i < 1000; i++) w.int32(i)
  const out = w.finish()
  assert.equal(out.length, 4000)
  assert.equal(new DataView(out.buffer).getInt32(999 * 4), 999)
})

void test('finish returns a copy; reset reuses the buffer', () => {
  const w = new Writer(8)
  w.int16(7)
  const a = w.finish()
  w.reset().int16(9)
  assert.deepEqual([...a], [0, 7])
  assert.deepEqual([...w.finish()], [0, 9])
})

void test('UTF-8 lengths match TextEncoder for every kind of code point', () => {
  for (const s of ['', 'abc', 'é', '€', '😀', 'a\uD800b', '\uDC00', 'x'.repeat(300) + 'ü']) {
    assert.equal(Writer.utf8Length(s), new TextEncoder().encode(s).length, JSON.stringify(s))
    const w = new Writer(1)
    w.compactString(s)
    assert.equal(w.offset, uvarintSize(Writer.utf8Length(s) + 1) + Writer.utf8Length(s))
  }
})

void test('varint sizes', () => {
  assert.equal(uvarintSize(0), 1)
  assert.equal(uvarintSize(127), 1)
  assert.equal(uvarintSize(128), 2)
  assert.equal(uvarintSize(0xffffffff), 5)
  assert.equal(varintSize(-1), 1)
  assert.equal(varintSize(-65), 2)
})

void test('a string too long for an int16 length is a ConfigError', () => {
  assert.throws(() => new Writer().string('x'.repeat(40000)), ConfigError)
})

void test('unsigned varints up to 2^32-1 round-trip through the reader', async () => {
  const { Reader } = await import('../../../src/kafka/protocol/reader.ts')
  const values = [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31, 0xffffffff]
  const w = new Writer(1)
  for (const v of values) w.uvarint(v)
  const bytes = w.finish()
  assert.equal(
    bytes.length,
    values.reduce((n, v) => n + uvarintSize(v), 0),
  )
  const r = new Reader(bytes)
  for (const v of values) assert.equal(r.uvarint(), v)
  // The same values at the very end of a frame take the bounds-checked path.
  for (const v of values) {
    const one = new Writer(1)
    one.uvarint(v)
    assert.equal(new Reader(one.finish()).uvarint(), v)
  }
})
