import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { lz4Frame } from '../../../src/core/compression/lz4-frame.ts'
import { ProtocolError } from '../../../src/core/errors.ts'
import { xxhash32 } from '../../../src/core/xxhash32.ts'
import { samples } from './samples.ts'

const fixture = (name: string): Uint8Array => readFileSync(new URL(`./fixtures/${name}`, import.meta.url))
const isInvalid = (err: unknown): boolean =>
  err instanceof ProtocolError && err.code === 'CONDUIT_COMPRESSION_INVALID'
const isTooLarge = (err: unknown): boolean =>
  err instanceof ProtocolError && err.code === 'CONDUIT_DECOMPRESSED_TOO_LARGE'
const MAX = 1 << 20

/** A frame with the given FLG/BD (+ optional fields) and blocks, with a correct header checksum. */
function frame(flg: number, bd: number, extra: number[], body: number[]): Uint8Array {
  const descriptor = [flg, bd, ...extra]
  const hc = (xxhash32(Uint8Array.from(descriptor)) >>> 8) & 0xff
  return Uint8Array.from([0x04, 0x22, 0x4d, 0x18, ...descriptor, hc, ...body])
}

void test("writes Kafka's frame header: magic, FLG 0x60, BD 0x40, HC 0x82", () => {
  // The header bytes of Kafka's own framing tests (MessageCompressionTest, magic v1+).
  assert.deepEqual(
    [...lz4Frame.compressSync(new Uint8Array(0))],
    [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0, 0, 0, 0],
  )
  assert.deepEqual([...lz4Frame.compressSync(samples.small!)], [...fixture('small.java-kafka.lz4')])
})

void test('accepts the pre-0.10 Kafka header checksum over magic + descriptor (KAFKA-3160), rejects others', () => {
  const legacy = Uint8Array.of(0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x1a, 0, 0, 0, 0)
  assert.equal(lz4Frame.decompressSync(legacy, MAX).length, 0)
  const wrong = Uint8Array.of(0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x83, 0, 0, 0, 0)
  assert.throws(() => lz4Frame.decompressSync(wrong, MAX), isInvalid)
})

void test('incompressible data is stored in uncompressed blocks (high bit of the block size)', () => {
  const packed = lz4Frame.compressSync(samples.random!)
  const firstBlock = new DataView(packed.buffer, packed.byteOffset).getUint32(7, true)
  assert.equal(firstBlock, 0x80000000 + 65536)
  assert.deepEqual(
    [...packed],
    [...fixture('random.java-kafka.lz4')],
    'byte-identical to the Java client here',
  )
})

void test('uncompressed blocks, content size and checksums are honoured when reading', () => {
  const data = [...Buffer.from('hello')]
  const block = [0x05, 0x00, 0x00, 0x80, ...data] // stored, 5 bytes
  const content = xxhash32(Uint8Array.from(data))
  const sum = [content & 0xff, (content >>> 8) & 0xff, (content >>> 16) & 0xff, content >>> 24]
  const blockSum = xxhash32(Uint8Array.from(data))
  const bsum = [blockSum & 0xff, (blockSum >>> 8) & 0xff, (blockSum >>> 16) & 0xff, blockSum >>> 24]
  const size = [5, 0, 0, 0, 0, 0, 0, 0]
  // FLG: version 01, independent, block checksum, content size, content checksum.
  const full = frame(0x7c, 0x40, size, [...block, ...bsum, 0, 0, 0, 0, ...sum])
  assert.equal(Buffer.from(lz4Frame.decompressSync(full, MAX)).toString(), 'hello')

  const badContent = frame(0x64, 0x40, [], [...block, 0, 0, 0, 0, sum[0]! ^ 1, ...sum.slice(1)])
  assert.throws(() => lz4Frame.decompressSync(badContent, MAX), /content checksum/)
  const badBlock = frame(0x70, 0x40, [], [...block, bsum[0]! ^ 1, ...bsum.slice(1), 0, 0, 0, 0])
  assert.throws(() => lz4Frame.decompressSync(badBlock, MAX), /block checksum/)
  const wrongSize = frame(0x68, 0x40, [6, 0, 0, 0, 0, 0, 0, 0], [...block, 0, 0, 0, 0])
  assert.throws(() => lz4Frame.decompressSync(wrongSize, MAX), /content size/)
  // A declared content size over the bound fails before any block is read.
  const huge = frame(0x68, 0x40, [0, 0, 0, 0, 1, 0, 0, 0], [...block, 0, 0, 0, 0])
  assert.throws(() => lz4Frame.decompressSync(huge, MAX), isTooLarge)
})

void test('corrupting a checksummed fixture is detected', () => {
  const withChecksums = Uint8Array.from(fixture('json.lz4-cli-BD-BX-content-size.lz4'))
  withChecksums[withChecksums.length - 20] ^= 0x01
  assert.throws(() => lz4Frame.decompressSync(withChecksums, MAX), isInvalid)
  const withContentSum = Uint8Array.from(fixture('runs.lz4-cli-default.lz4'))
  withContentSum[withContentSum.length - 1] ^= 0x01
  assert.throws(() => lz4Frame.decompressSync(withContentSum, MAX), /content checksum/)
})

void test('descriptor validation', () => {
  const end = [0, 0, 0, 0]
  assert.throws(() => lz4Frame.decompressSync(frame(0x80, 0x40, [], end), MAX), /version/)
  assert.throws(() => lz4Frame.decompressSync(frame(0x62, 0x40, [], end), MAX), /reserved FLG/)
  assert.throws(() => lz4Frame.decompressSync(frame(0x60, 0x41, [], end), MAX), /reserved BD/)
  assert.throws(() => lz4Frame.decompressSync(frame(0x60, 0x30, [], end), MAX), /block maximum size/)
  assert.throws(() => lz4Frame.decompressSync(frame(0x61, 0x40, [1, 2, 3, 4], end), MAX), /dictionary/)
  // A block larger than the frame's declared maximum (64 KiB).
  assert.throws(
    () => lz4Frame.decompressSync(frame(0x60, 0x40, [], [0x01, 0x00, 0x01, 0x80]), MAX),
    isInvalid,
  )
  assert.throws(() => lz4Frame.decompressSync(Uint8Array.of(1, 2, 3, 4, 5, 6, 7), MAX), /magic/)
  assert.throws(() => lz4Frame.decompressSync(new Uint8Array(0), MAX), isInvalid)
})

void test('skippable frames are skipped and concatenated frames decode as one stream', () => {
  const a = lz4Frame.compressSync(Buffer.from('first '))
  const b = lz4Frame.compressSync(Buffer.from('second'))
  const skippable = [0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]
  const stream = Uint8Array.from([...skippable, ...a, ...b])
  assert.equal(Buffer.from(lz4Frame.decompressSync(stream, MAX)).toString(), 'first second')
})

void test('every truncation of a frame is a ProtocolError', () => {
  const packed = lz4Frame.compressSync(samples.json!.subarray(0, 5000))
  for (let cut = 0; cut < packed.length; cut++) {
    assert.throws(() => lz4Frame.decompressSync(packed.subarray(0, cut), MAX), isInvalid, `cut at ${cut}`)
  }
})
