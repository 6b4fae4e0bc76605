// The size a compressed message decompresses to comes from the wire (MessageMetadata
// uncompressed_size). These frames are crafted byte by byte: a real broker only relays what a
// producer wrote, and no honest producer lies about the size.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { create, toBinary } from '@bufbuild/protobuf'
import { ProtocolError } from '../../../src/core/errors.ts'
import { decodeMessages } from '../../../src/pulsar/consumer/incoming.ts'
import { CommandType, encodeCommand } from '../../../src/pulsar/protocol/commands.ts'
import { compress } from '../../../src/pulsar/protocol/compression.ts'
import { decodeFrame, encodePayloadFrame } from '../../../src/pulsar/protocol/frame.ts'
import {
  CompressionType,
  MessageMetadataSchema,
} from '../../../src/pulsar/protocol/generated/pulsar-api_pb.ts'

/** The bytes of a MESSAGE frame after the total size, as the FramedSocket hands them on. */
function messageFrame(compression: CompressionType, uncompressedSize: number, payload: Uint8Array) {
  const metadata = toBinary(
    MessageMetadataSchema,
    create(MessageMetadataSchema, {
      producerName: 'crafted',
      sequenceId: 1n,
      publishTime: 1n,
      compression,
      uncompressedSize,
    }),
  )
  const command = encodeCommand({
    type: CommandType.MESSAGE,
    message: { consumerId: 1n, messageId: { ledgerId: 1n, entryId: 1n } },
  })
  const [header, body] = encodePayloadFrame(command, metadata, payload)
  return decodeFrame(Buffer.concat([header, body]).subarray(4))
}

const ctx = (maxDecompressedBytes: number) => ({
  topic: 'persistent://public/default/t',
  partition: -1,
  maxMessageSize: 5 * 1024 * 1024,
  maxDecompressedBytes,
})

void test('an uncompressed size above the client limit is a ProtocolError, before decompressing', async () => {
  // 4 bytes claiming to inflate to 2 GiB - 1: refused on the claim alone.
  const frame = messageFrame(CompressionType.LZ4, 0x7fffffff, new Uint8Array([1, 2, 3, 4]))
  await assert.rejects(decodeMessages(frame, ctx(1024 * 1024)), (err: unknown) => {
    assert.ok(err instanceof ProtocolError, String(err))
    assert.match(err.message, /2147483647.*1048576/)
    return true
  })
})

void test('a real compressed payload larger than maxDecompressedBytes is refused; within it, it decodes', async () => {
  const raw = new Uint8Array(256 * 1024).fill(7)
  for (const type of [
    CompressionType.LZ4,
    CompressionType.ZLIB,
    CompressionType.ZSTD,
    CompressionType.SNAPPY,
  ]) {
    const packed = await compress(type, raw)
    const frame = messageFrame(type, raw.length, packed)
    await assert.rejects(decodeMessages(frame, ctx(64 * 1024)), ProtocolError, `type ${type}`)
    const [m] = await decodeMessages(frame, ctx(raw.length))
    assert.equal(m!.value!.length, raw.length, `type ${type}`)
  }
})
