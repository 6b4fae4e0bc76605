import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isXerialFramed, snappyXerial } from '../../../src/core/compression/snappy-xerial.ts'
import { snappyCompressSync } from '../../../src/core/compression/snappy.ts'
import { ProtocolError } from '../../../src/core/errors.ts'
import { samples } from './samples.ts'

const HEADER = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]

void test('writes the snappy-java stream header (magic, version 1, compatible 1)', () => {
  assert.deepEqual([...snappyXerial.compressSync(new Uint8Array(0))], HEADER)
  assert.ok(isXerialFramed(snappyXerial.compressSync(samples.small!)))
})

void test('cuts input into 32 KiB chunks, each a length-prefixed raw block', () => {
  const data = samples.runs! // 100 000 bytes → 4 chunks
  const out = snappyXerial.compressSync(data)
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  let pos = 16
  let chunks = 0
  while (pos < out.length) {
    pos += 4 + view.getInt32(pos)
    chunks++
  }
  assert.equal(pos, out.length)
  assert.equal(chunks, 4)
})

void test('also reads a bare raw Snappy block (what some non-Java Kafka clients send)', () => {
  const raw = snappyCompressSync(samples.json!)
  assert.equal(isXerialFramed(raw), false)
  assert.ok(Buffer.from(snappyXerial.decompressSync(raw, samples.json!.length)).equals(samples.json!))
})

void test('reads streams concatenated with their headers, as snappy-java does', () => {
  const a = snappyXerial.compressSync(Buffer.from('first '))
  const b = snappyXerial.compressSync(Buffer.from('second'))
  assert.equal(
    Buffer.from(snappyXerial.decompressSync(Buffer.concat([a, b]), 100)).toString(),
    'first second',
  )
})

void test('the sum of declared chunk sizes is checked against the bound before allocating', () => {
  const framed = snappyXerial.compressSync(samples.runs!)
  assert.throws(
    () => snappyXerial.decompressSync(framed, 50_000),
    (err: unknown) => err instanceof ProtocolError && err.code === 'CONDUIT_DECOMPRESSED_TOO_LARGE',
  )
})

void test('malformed framing is a ProtocolError', () => {
  const good = snappyXerial.compressSync(samples.json!)
  const invalid = (err: unknown): boolean =>
    err instanceof ProtocolError && err.code === 'CONDUIT_COMPRESSION_INVALID'
  assert.throws(() => snappyXerial.decompressSync(good.subarray(0, 12), 1 << 20), invalid) // truncated header
  assert.throws(() => snappyXerial.decompressSync(good.subarray(0, 18), 1 << 20), invalid) // truncated chunk length
  assert.throws(() => snappyXerial.decompressSync(good.subarray(0, good.length - 1), 1 << 20), invalid)
  const negative = Uint8Array.from(good)
  negative[16] = 0x80
  assert.throws(() => snappyXerial.decompressSync(negative, 1 << 20), invalid)
})
