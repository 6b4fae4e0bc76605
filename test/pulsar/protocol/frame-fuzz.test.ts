// Random and mutated frames must give a decoded frame or a ProtocolError, never another exception
// or a hang. A fixed seed keeps failures reproducible.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ProtocolError } from '../../../src/core/errors.ts'
import { decodeBatch, encodeBatchEntry, concatBytes } from '../../../src/pulsar/protocol/batch.ts'
import { CommandType, encodeCommand } from '../../../src/pulsar/protocol/commands.ts'
import { decodeFrame, encodePayloadFrame } from '../../../src/pulsar/protocol/frame.ts'
import { create, toBinary } from '@bufbuild/protobuf'
import { MessageMetadataSchema } from '../../../src/pulsar/protocol/generated/pulsar-api_pb.ts'

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

function expectTypedOutcome(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`)
  }
}

void test('random bytes decode or fail with ProtocolError', () => {
  const r = rng(1)
  for (let i = 0; i < 5000; i++) {
    const bytes = new Uint8Array(Math.floor(r() * 64))
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(r() * 256)
    expectTypedOutcome(() => decodeFrame(bytes))
    expectTypedOutcome(() => decodeBatch(bytes, Math.floor(r() * 5)))
  }
})

void test('mutated MESSAGE frames with batches decode or fail with ProtocolError', () => {
  const r = rng(2)
  const entries = concatBytes([
    ...encodeBatchEntry(
      { partitionKey: 'k', properties: [{ key: 'a', value: 'b' }] },
      new Uint8Array([1, 2, 3]),
    ),
    ...encodeBatchEntry({}, new Uint8Array([4])),
  ])
  const command = encodeCommand({
    type: CommandType.MESSAGE,
    message: { consumerId: 1n, messageId: { ledgerId: 5n, entryId: 6n } },
  })
  const metadata = toBinary(
    MessageMetadataSchema,
    create(MessageMetadataSchema, {
      producerName: 'p',
      sequenceId: 1n,
      publishTime: 2n,
      numMessagesInBatch: 2,
    }),
  )
  const base = concatBytes(encodePayloadFrame(command, metadata, entries)).subarray(4)
  const start = Date.now()
  for (let i = 0; i < 5000; i++) {
    const frame = base.slice()
    const flips = 1 + Math.floor(r() * 4)
    for (let f = 0; f < flips; f++) frame[Math.floor(r() * frame.length)] = Math.floor(r() * 256)
    const cut = r() < 0.3 ? frame.subarray(0, Math.floor(r() * frame.length)) : frame
    expectTypedOutcome(() => {
      const decoded = decodeFrame(cut)
      if (decoded.payload && decoded.metadata)
        decodeBatch(decoded.payload, decoded.metadata.numMessagesInBatch)
    })
  }
  assert.ok(Date.now() - start < 10_000)
})
