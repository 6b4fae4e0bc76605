import { test } from 'node:test'
import assert from 'node:assert/strict'
import { lz4Block, lz4BlockCompressSync } from '../../../src/core/compression/lz4-block.ts'
import { ProtocolError } from '../../../src/core/errors.ts'

const dec = (bytes: number[], max = 1 << 20): string =>
  Buffer.from(lz4Block.decompressSync(Uint8Array.from(bytes), max)).toString('latin1')
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')]
const isInvalid = (err: unknown): boolean =>
  err instanceof ProtocolError && err.code === 'CONDUIT_COMPRESSION_INVALID'
const isTooLarge = (err: unknown): boolean =>
  err instanceof ProtocolError && err.code === 'CONDUIT_DECOMPRESSED_TOO_LARGE'

// Vectors built by hand from lz4_Block_format.md.
void test('decodes the sequences of the block format description', () => {
  assert.equal(dec([0x00]), '') // a single empty last sequence
  assert.equal(dec([0x50, ...ascii('hello')]), 'hello') // literals only
  // 'a', then an overlapping match at offset 1 of 4 + 10 bytes, then 5 final literals.
  assert.equal(dec([0x1a, ...ascii('a'), 0x01, 0x00, 0x50, ...ascii('aaaaa')]), 'a'.repeat(20))
  // Literal length 300 = 15 + 255 + 30 in extension bytes.
  assert.equal(dec([0xf0, 255, 30, ...ascii('z'.repeat(300))]), 'z'.repeat(300))
  // Match length 4 + 15 + 255 + 1 = 275 via extension bytes.
  assert.equal(dec([0x4f, ...ascii('abcd'), 0x04, 0x00, 255, 1, 0x00]), 'abcd'.repeat(70).slice(0, 279))
})

void test('the compressor keeps the end-of-block rules (last 5 bytes literal, no match in the last 12)', () => {
  const data = new Uint8Array(1000) // all zeros: one long match
  const packed = lz4BlockCompressSync(data)
  // token, 1 literal, offset, length extension..., then the last sequence of exactly 5 literals.
  assert.deepEqual([...packed.subarray(packed.length - 6)], [0x50, 0, 0, 0, 0, 0])
  assert.equal(lz4Block.decompressSync(packed, 1000).length, 1000)
  // Inputs shorter than 13 bytes are all literals.
  assert.deepEqual([...lz4BlockCompressSync(new Uint8Array(12))], [0xc0, ...new Array(12).fill(0)])
})

void test('matches never reach further back than 65535 bytes', () => {
  const unit = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 24)
  const data = new Uint8Array(140_000)
  data.set(unit)
  data.set(unit, 70_000) // the only repeats are 70 000 bytes back: out of reach
  const packed = lz4BlockCompressSync(data)
  assert.ok(Buffer.from(lz4Block.decompressSync(packed, data.length)).equals(data))
})

void test('unknown output size: the buffer grows to the bound and no further', () => {
  const big = new Uint8Array(3 << 20).fill(9)
  const packed = lz4BlockCompressSync(big) // ~12 KiB
  assert.equal(lz4Block.decompressSync(packed, 3 << 20).length, 3 << 20)
  assert.throws(() => lz4Block.decompressSync(packed, 1 << 20), isTooLarge)
})

void test('a tiny block claiming a huge match is stopped at the bound (decompression bomb)', () => {
  const bomb = [0x1f, 0x61, 0x01, 0x00, ...new Array(40_000).fill(255), 0, 0x00] // ~10 MB of 'a'
  assert.throws(() => dec(bomb, 1 << 20), isTooLarge)
})

void test('malformed blocks are ProtocolErrors', () => {
  const cases: Array<[string, number[]]> = [
    ['empty input', []],
    ['offset 0', [0x10, ...ascii('a'), 0x00, 0x00, 0x00]],
    ['offset before the start', [0x10, ...ascii('a'), 0x02, 0x00, 0x00]],
    ['literals past the input', [0x50, ...ascii('hel')]],
    ['truncated literal length', [0xf0, 255]],
    ['truncated offset', [0x10, ...ascii('a'), 0x01]],
    ['truncated match length', [0x1f, ...ascii('a'), 0x01, 0x00, 255]],
    ['missing last sequence', [0x10, ...ascii('a'), 0x01, 0x00]],
  ]
  for (const [what, bytes] of cases) assert.throws(() => dec(bytes), isInvalid, what)
})
