import { test } from 'node:test'
import assert from 'node:assert/strict'
import { xxhash32 } from '../../src/core/xxhash32.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

void test('published XXH32 vectors (seed 0)', () => {
  assert.equal(xxhash32(new Uint8Array(0)), 0x02cc5d05)
  assert.equal(xxhash32(enc('a')), 0x550d7456)
  assert.equal(xxhash32(enc('abc')), 0x32d153ff)
  assert.equal(xxhash32(enc('Nobody inspects the spammish repetition')), 0xe2293b2f)
})

void test('LZ4 frame header checksums of Kafka (FLG 0x60, BD 0x40): 0x82, and 0x1A over magic too', () => {
  assert.equal((xxhash32(Uint8Array.of(0x60, 0x40)) >>> 8) & 0xff, 0x82)
  assert.equal((xxhash32(Uint8Array.of(0x04, 0x22, 0x4d, 0x18, 0x60, 0x40)) >>> 8) & 0xff, 0x1a)
})

void test('seed changes the result; the result is unsigned 32-bit', () => {
  const data = enc('conduit')
  assert.notEqual(xxhash32(data, 1), xxhash32(data, 0))
  for (let n = 0; n < 64; n++) {
    const v = xxhash32(new Uint8Array(n).fill(n), n * 7919)
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)
  }
  // Long inputs (the 16-byte stripe loop) are covered against the lz4 CLI's content and block
  // checksums by the lz4-cli fixtures in compression/fixtures.test.ts.
})
