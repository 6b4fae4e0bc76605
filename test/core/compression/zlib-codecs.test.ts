// gzip, deflate (zlib) and zstd go through node:zlib; these tests pin the error translation and
// that the output bound stops a bomb while it inflates.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import { deflate, gzip, zstd } from '../../../src/core/compression/index.ts'
import { ProtocolError } from '../../../src/core/errors.ts'
import { samples } from './samples.ts'

const isInvalid = (err: unknown): boolean =>
  err instanceof ProtocolError && err.code === 'CONDUIT_COMPRESSION_INVALID'
const isTooLarge = (err: unknown): boolean =>
  err instanceof ProtocolError && err.code === 'CONDUIT_DECOMPRESSED_TOO_LARGE'

for (const codec of [gzip, deflate, zstd]) {
  void test(`${codec.name}: a bomb (256 MiB of zeros) stops at the bound, sync and async`, async () => {
    const bomb = codec.compressSync(new Uint8Array(256 << 20))
    assert.ok(bomb.length < 1 << 20, `bomb is ${bomb.length} bytes`)
    const start = performance.now()
    assert.throws(() => codec.decompressSync(bomb, 1 << 20), isTooLarge)
    await assert.rejects(codec.decompress(bomb, 1 << 20), isTooLarge)
    assert.ok(performance.now() - start < 5000, 'stopped early instead of inflating everything')
  })

  void test(`${codec.name}: garbage, truncation and empty input are COMPRESSION_INVALID with the zlib cause`, async () => {
    const good = codec.compressSync(samples.json!)
    const inputs = [
      Buffer.from('definitely not compressed'),
      good.subarray(0, good.length >> 1),
      new Uint8Array(0),
    ]
    for (const input of inputs) {
      assert.throws(
        () => codec.decompressSync(input, 1 << 20),
        (err: unknown) => isInvalid(err) && (err as Error).cause instanceof Error,
      )
      await assert.rejects(codec.decompress(input, 1 << 20), isInvalid)
    }
  })
}

void test('gzip reads multi-member streams (concatenated gzip files)', () => {
  const twice = Buffer.concat([zlib.gzipSync('one '), zlib.gzipSync('two')])
  assert.equal(Buffer.from(gzip.decompressSync(twice, 100)).toString(), 'one two')
})

void test('deflate is the zlib-wrapped format (RFC 1950), not raw deflate', () => {
  const packed = deflate.compressSync(samples.small!)
  assert.equal(packed[0]! & 0x0f, 8, 'CM = 8 (deflate)')
  assert.equal(((packed[0]! << 8) | packed[1]!) % 31, 0, 'FCHECK makes CMF/FLG a multiple of 31')
  assert.throws(() => deflate.decompressSync(zlib.deflateRawSync(samples.small!), 100), isInvalid)
})

void test('zstd writes standard frames (magic 0xFD2FB528)', () => {
  assert.deepEqual([...zstd.compressSync(samples.small!).subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd])
})
