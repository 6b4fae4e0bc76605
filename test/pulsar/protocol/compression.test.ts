import assert from 'node:assert/strict'
import { test } from 'node:test'
import zlib from 'node:zlib'
import { ProtocolError } from '../../../src/core/errors.ts'
import { compress, compressionType, decompress } from '../../../src/pulsar/protocol/compression.ts'
import { CompressionType } from '../../../src/pulsar/protocol/generated/pulsar-api_pb.ts'

/** What the Java client's ZLIB codec writes: a zlib stream sync-flushed, never finished. */
function syncFlushed(data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const d = zlib.createDeflate()
    const chunks: Buffer[] = []
    d.on('data', (c: Buffer) => chunks.push(c))
    d.on('error', reject)
    d.write(data)
    d.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve(new Uint8Array(Buffer.concat(chunks))))
  })
}

void test('every codec round-trips through compress/decompress', async () => {
  const data = new TextEncoder().encode('pulsar payload '.repeat(200))
  for (const name of ['none', 'lz4', 'zlib', 'zstd', 'snappy'] as const) {
    const type = compressionType(name)
    const packed = await compress(type, data)
    if (name !== 'none') assert.ok(packed.length < data.length, `${name} compresses`)
    assert.deepEqual(new Uint8Array(await decompress(type, packed, data.length, 1 << 20)), data, name)
  }
})

void test('ZLIB accepts the unfinished, sync-flushed streams the Java client writes', async () => {
  const data = new TextEncoder().encode('from java '.repeat(50))
  const javaStyle = await syncFlushed(data)
  assert.deepEqual(
    new Uint8Array(await decompress(CompressionType.ZLIB, javaStyle, data.length, 1 << 20)),
    data,
  )
})

void test('a size different from the metadata claim is a ProtocolError', async () => {
  const data = new TextEncoder().encode('abc'.repeat(100))
  const packed = await compress(CompressionType.LZ4, data)
  await assert.rejects(decompress(CompressionType.LZ4, packed, data.length - 1, 1 << 20), ProtocolError)
  await assert.rejects(
    decompress(CompressionType.ZSTD, new Uint8Array([1, 2, 3, 4]), 10, 1 << 20),
    ProtocolError,
  )
  assert.throws(() => compressionType('brotli'), /unknown compression/)
})
