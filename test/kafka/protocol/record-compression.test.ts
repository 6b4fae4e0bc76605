// Compressed record batches: every codec both ways, the batch layout around the compressed
// section, the decompression bound, and corrupt compressed data. (The codecs' byte-level
// compatibility with the Java client is proven by the core compression fixtures.)

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crc32c } from '../../../src/core/crc32c.ts'
import { ProtocolError } from '../../../src/core/errors.ts'
import {
  decodeRecordBatches,
  encodeRecordBatch,
  encodeRecordBatchSync,
  type Compression,
  type RecordInput,
} from '../../../src/kafka/protocol/record-batch.ts'
import { randomBytes, rng } from './samples.ts'

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const
const CODE: Record<Compression, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }
const LIMIT = { maxDecompressedBytes: 8 << 20 }
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

function sampleRecords(seed: number, n: number): RecordInput[] {
  const r = rng(seed)
  return Array.from({ length: n }, (_, i) => ({
    key: i % 7 === 0 ? null : utf8(`key-${i}`),
    value: i % 11 === 0 ? null : utf8(`value ${i} `.repeat(1 + Math.floor(r() * 20))),
    headers: i % 3 === 0 ? [['trace', randomBytes(r, 8)] as [string, Uint8Array]] : [],
    timestamp: 1_700_000_000_000 + i * 3,
  }))
}

for (const codec of CODECS) {
  void test(`${codec}: batches round-trip and keep the header in the clear`, async () => {
    const records = sampleRecords(CODE[codec], 500)
    const bytes = await encodeRecordBatch({
      records,
      compression: codec,
      producerId: 77n,
      producerEpoch: 1,
      baseSequence: 1000,
      baseOffset: 40n,
    })
    const view = new DataView(bytes.buffer, bytes.byteOffset)
    assert.equal(view.getInt32(8), bytes.length - 12, 'batch length')
    assert.equal(view.getInt8(16), 2, 'magic')
    assert.equal(view.getUint32(17), crc32c(bytes.subarray(21)), 'CRC covers attributes..end')
    assert.equal(view.getInt16(21) & 0x07, CODE[codec], 'compression bits')
    assert.equal(view.getInt32(23), 499, 'last offset delta')
    assert.equal(view.getInt32(57), 500, 'record count stays uncompressed')
    const plainSize = encodeRecordBatchSync({ records, compression: 'none' }).length
    assert.ok(bytes.length < plainSize, `${codec} compressed ${plainSize} to ${bytes.length}`)

    const other = encodeRecordBatchSync({
      records: records.slice(0, 3),
      compression: 'none',
      baseOffset: 540n,
    })
    const [batch, second] = await decodeRecordBatches(Buffer.concat([bytes, other]), LIMIT)
    assert.equal(batch?.compression, codec)
    assert.equal(batch?.producerId, 77n)
    assert.equal(batch?.baseSequence, 1000)
    assert.equal(batch?.records.length, 500)
    batch?.records.forEach((rec, i) => {
      const want = records[i]!
      assert.equal(rec.offset, 40n + BigInt(i))
      assert.equal(rec.timestamp, want.timestamp)
      assert.deepEqual(rec.key && new Uint8Array(rec.key), want.key)
      assert.deepEqual(rec.value && new Uint8Array(rec.value), want.value)
      assert.deepEqual(
        rec.headers.map(([k, v]) => [k, v && new Uint8Array(v)]),
        want.headers,
      )
    })
    assert.equal(second?.records.length, 3)
    assert.equal(second?.records[0]?.offset, 540n)
  })

  void test(`${codec}: a batch that decompresses past maxDecompressedBytes is a ProtocolError`, async () => {
    const records = [{ key: null, value: new Uint8Array(200_000), timestamp: 1 }]
    const bytes = await encodeRecordBatch({ records, compression: codec })
    assert.ok(bytes.length < 20_000)
    await assert.rejects(decodeRecordBatches(bytes, { maxDecompressedBytes: 100_000 }), ProtocolError)
    const [ok] = await decodeRecordBatches(bytes, { maxDecompressedBytes: 300_000 })
    assert.equal(ok?.records[0]?.value?.length, 200_000)
  })

  void test(`${codec}: corrupt compressed data (with a valid CRC) is a ProtocolError`, async () => {
    const r = rng(CODE[codec] + 100)
    const clean = await encodeRecordBatch({ records: sampleRecords(5, 50), compression: codec })
    for (let i = 0; i < 300; i++) {
      const bytes = new Uint8Array(clean)
      const at = 61 + Math.floor(r() * (bytes.length - 61))
      bytes[at] = bytes[at]! ^ (1 + Math.floor(r() * 255))
      if (i % 4 === 0) bytes.fill(0, at, at + 8)
      new DataView(bytes.buffer).setUint32(17, crc32c(bytes.subarray(21)))
      try {
        await decodeRecordBatches(bytes, LIMIT)
      } catch (e) {
        if (!(e instanceof ProtocolError)) assert.fail(`${codec} threw ${(e as Error).stack}`)
      }
    }
  })
}

void test('an uncompressed batch relabelled as compressed is rejected by the codec, not misread', async () => {
  const bytes = new Uint8Array(encodeRecordBatchSync({ records: sampleRecords(1, 5), compression: 'none' }))
  for (const code of [1, 2, 3, 4, 5, 6, 7]) {
    const copy = new Uint8Array(bytes)
    copy[22] = (copy[22]! & ~0x07) | code
    new DataView(copy.buffer).setUint32(17, crc32c(copy.subarray(21)))
    await assert.rejects(decodeRecordBatches(copy, LIMIT), ProtocolError, `code ${code}`)
  }
})
