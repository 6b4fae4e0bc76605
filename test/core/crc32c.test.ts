import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { crc32c } from '../../src/core/crc32c.ts'

// Bit-at-a-time reference straight from the definition (reflected poly 0x82F63B78).
function reference(data: Uint8Array): number {
  let c = 0xffffffff
  for (const b of data) {
    c ^= b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  }
  return ~c >>> 0
}

void test('check value of the CRC catalogue', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283)
  assert.equal(crc32c(new Uint8Array(0)), 0)
})

void test('RFC 3720 (iSCSI) B.4 vectors', () => {
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa)
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43)
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e)
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c)
})

void test('matches the bitwise reference for every length 0..300 and unaligned views', () => {
  const buf = randomBytes(400)
  for (let len = 0; len <= 300; len++) {
    const off = len % 7
    const view = buf.subarray(off, off + len)
    assert.equal(crc32c(view), reference(view), `length ${len} offset ${off}`)
  }
})

void test('continuation: crc32c(b, crc32c(a)) === crc32c(a + b)', () => {
  const all = randomBytes(5000)
  const whole = crc32c(all)
  for (const cut of [0, 1, 15, 16, 17, 999, 4999, 5000]) {
    assert.equal(crc32c(all.subarray(cut), crc32c(all.subarray(0, cut))), whole, `cut at ${cut}`)
  }
})

void test('result is always an unsigned 32-bit integer', () => {
  for (let i = 0; i < 50; i++) {
    const v = crc32c(randomBytes(i * 3))
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)
  }
})

void test('long inputs (read as 32-bit words) at every alignment of the underlying buffer', () => {
  const buf = new Uint8Array(randomBytes(5000))
  for (const len of [128, 129, 143, 1000, 4093]) {
    for (let off = 0; off < 8; off++) {
      const view = buf.subarray(off, off + len)
      assert.equal(crc32c(view), reference(view), `length ${len} offset ${off}`)
      assert.equal(crc32c(view, 0x12345678), crc32c(view.slice(), 0x12345678), 'continuation')
    }
  }
})
