import { test } from 'node:test'
import assert from 'node:assert/strict'
import { snappy, snappyCompressSync, snappyUncompressedLength } from '../../../src/core/compression/snappy.ts'
import { ProtocolError } from '../../../src/core/errors.ts'

const dec = (bytes: number[], max = 1 << 20): string =>
  Buffer.from(snappy.decompressSync(Uint8Array.from(bytes), max)).toString('latin1')
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')]
const isInvalid = (err: unknown): boolean =>
  err instanceof ProtocolError && err.code === 'CONDUIT_COMPRESSION_INVALID'

// Vectors built by hand from format_description.txt, one per element kind.
void test('decodes every element kind of the format description', () => {
  assert.equal(dec([0x00]), '')
  assert.equal(dec([0x05, 0x10, ...ascii('hello')]), 'hello') // literal, length in the tag
  // "abcd" then a 1-byte-offset copy (kind 01) of length 8 at offset 4.
  assert.equal(dec([0x0c, 0x0c, ...ascii('abcd'), 0x11, 0x04]), 'abcdabcdabcd')
  // Overlapping 2-byte-offset copy (kind 10): 'a' then 9 more copied from offset 1.
  assert.equal(dec([0x0a, 0x00, ...ascii('a'), 0x22, 0x01, 0x00]), 'a'.repeat(10))
  // The same with a 4-byte offset (kind 11).
  assert.equal(dec([0x0a, 0x00, ...ascii('a'), 0x23, 0x01, 0x00, 0x00, 0x00]), 'a'.repeat(10))
  // Literal with its length-1 in one extra byte (tag 60).
  const long = 'x'.repeat(100)
  assert.equal(dec([100, 60 << 2, 99, ...ascii(long)]), long)
  // Literal length in two extra bytes (tag 61): 300 bytes = 299 = 0x012b.
  assert.equal(dec([0xac, 0x02, 61 << 2, 0x2b, 0x01, ...ascii('y'.repeat(300))]), 'y'.repeat(300))
})

void test('the length preamble is a little-endian varint of at most 32 bits', () => {
  assert.deepEqual(snappyUncompressedLength(Uint8Array.of(0xac, 0x02)), { length: 300, headerBytes: 2 })
  assert.deepEqual(snappyUncompressedLength(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f)), {
    length: 0xffffffff,
    headerBytes: 5,
  })
  assert.throws(() => snappyUncompressedLength(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x10)), isInvalid)
  assert.throws(() => snappyUncompressedLength(Uint8Array.of(0x80, 0x80)), isInvalid)
  assert.throws(() => snappyUncompressedLength(new Uint8Array(0)), isInvalid)
})

void test('the compressor uses the short copy forms the format defines', () => {
  // A short match at a small offset takes the 2-byte copy form (kind 01).
  assert.deepEqual(
    [...snappyCompressSync(Uint8Array.from(ascii('abcdefghijklmnopabcdefgh')))],
    [24, 15 << 2, ...ascii('abcdefghijklmnop'), 0x01 | ((8 - 4) << 2), 16],
  )
  // A long match is cut into 64-byte copies of the 3-byte form (kind 10); the 7-byte rest takes kind 01.
  const packed = snappyCompressSync(new Uint8Array(200))
  const copy64 = [0x02 | (63 << 2), 1, 0]
  assert.deepEqual([...packed], [0xc8, 0x01, 0x00, 0x00, ...copy64, ...copy64, ...copy64, 0x01 | (3 << 2), 1])
  assert.equal(Buffer.from(snappy.decompressSync(packed, 200)).equals(Buffer.alloc(200)), true)
})

void test('a declared size over the bound fails before anything is allocated', () => {
  // Claims 4 GiB - 1 in 6 bytes.
  assert.throws(
    () => snappy.decompressSync(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00), 1 << 20),
    (err: unknown) =>
      err instanceof ProtocolError &&
      err.code === 'CONDUIT_DECOMPRESSED_TOO_LARGE' &&
      /4294967295/.test(err.message),
  )
})

void test('a declared size the input cannot possibly encode is malformed, found before allocating', () => {
  // 1 MiB claimed by 3 bytes of elements (at most 64 bytes of output).
  assert.throws(
    () => snappy.decompressSync(Uint8Array.of(0x80, 0x80, 0x40, 0x00, 0x61, 0x00), 4 << 20),
    isInvalid,
  )
  // The densest real input, all 3-byte 64-byte copies, stays within the limit.
  const zeros = new Uint8Array(1 << 20)
  assert.equal(snappy.decompressSync(snappyCompressSync(zeros), 1 << 20).length, 1 << 20)
})

void test('malformed blocks are ProtocolErrors', () => {
  const cases: Array<[string, number[]]> = [
    ['copy with offset 0', [0x08, 0x0c, ...ascii('abcd'), 0x01, 0x00]],
    ['copy reaching before the start', [0x08, 0x0c, ...ascii('abcd'), 0x01, 0x05]],
    ['copy as the first element', [0x04, 0x01, 0x01]],
    ['literal past the input', [0x05, 0x10, ...ascii('hel')]],
    ['literal past the declared length', [0x03, 0x10, ...ascii('hello')]],
    ['copy past the declared length', [0x06, 0x0c, ...ascii('abcd'), 0x01, 0x04]],
    ['fewer bytes than declared', [0x09, 0x10, ...ascii('hello')]],
    ['truncated copy', [0x08, 0x0c, ...ascii('abcd'), 0x02, 0x01]],
    ['truncated literal length', [0x64, 60 << 2]],
  ]
  for (const [what, bytes] of cases) assert.throws(() => dec(bytes), isInvalid, what)
})
