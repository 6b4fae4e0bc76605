import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ProtocolError } from '../../../src/core/errors.ts'
import { CommandType, encodeCommand } from '../../../src/pulsar/protocol/commands.ts'
import { decodeFrame, encodePayloadFrame, encodeSimpleFrame } from '../../../src/pulsar/protocol/frame.ts'
import { create, toBinary } from '@bufbuild/protobuf'
import {
  BrokerEntryMetadataSchema,
  MessageMetadataSchema,
} from '../../../src/pulsar/protocol/generated/pulsar-api_pb.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))

/** Bit-by-bit CRC-32C: an independent reference for the golden frames. */
function referenceCrc32c(data: Uint8Array): number {
  let c = 0xffffffff
  for (const byte of data) {
    c ^= byte
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  }
  return (c ^ 0xffffffff) >>> 0
}

void test('PING encodes to the golden simple frame', () => {
  const frame = encodeSimpleFrame(encodeCommand({ type: CommandType.PING, ping: {} }))
  // total 9, command 5: type=18 (08 12), field 18 length-delimited empty (92 01 00)
  assert.equal(hex(frame), '00000009' + '00000005' + '0812920100')
  const decoded = decodeFrame(frame.subarray(4))
  assert.equal(decoded.command.type, CommandType.PING)
  assert.equal(decoded.payload, undefined)
})

void test('SEND encodes to the golden payload frame with a CRC-32C over metadata and payload', () => {
  const command = encodeCommand({ type: CommandType.SEND, send: { producerId: 1n, sequenceId: 0n } })
  assert.equal(hex(command), '0806' + '3204' + '0801' + '1000')
  const metadata = toBinary(
    MessageMetadataSchema,
    create(MessageMetadataSchema, { producerName: 'p', sequenceId: 0n, publishTime: 1n }),
  )
  assert.equal(hex(metadata), '0a0170' + '1000' + '1801')
  const payload = new TextEncoder().encode('hi')
  const [header, body] = encodePayloadFrame(command, metadata, payload)
  const frame = concat(header, body)
  const checked = concat(new Uint8Array([0, 0, 0, 7]), metadata, payload)
  const crc = referenceCrc32c(checked).toString(16).padStart(8, '0')
  const total = 4 + 8 + 2 + 4 + 4 + 7 + 2
  assert.equal(
    hex(frame),
    total.toString(16).padStart(8, '0') + '00000008' + hex(command) + '0e01' + crc + hex(checked),
  )

  const decoded = decodeFrame(frame.subarray(4))
  assert.equal(decoded.command.send?.producerId, 1n)
  assert.equal(decoded.metadata?.producerName, 'p')
  assert.equal(new TextDecoder().decode(decoded.payload), 'hi')
  assert.equal(decoded.checksumMismatch, undefined)
})

void test('a flipped payload bit is reported as a checksum mismatch', () => {
  const command = encodeCommand({
    type: CommandType.MESSAGE,
    message: { consumerId: 3n, messageId: { ledgerId: 1n, entryId: 2n } },
  })
  const metadata = toBinary(
    MessageMetadataSchema,
    create(MessageMetadataSchema, { producerName: 'p', sequenceId: 5n, publishTime: 9n }),
  )
  const frame = concat(...encodePayloadFrame(command, metadata, new Uint8Array([1, 2, 3])))
  frame[frame.length - 1]! ^= 0x10
  assert.equal(decodeFrame(frame.subarray(4)).checksumMismatch, true)
})

void test('broker entry metadata (0x0e02) before the payload is decoded', () => {
  const command = encodeCommand({
    type: CommandType.MESSAGE,
    message: { consumerId: 3n, messageId: { ledgerId: 1n, entryId: 2n } },
  })
  const metadata = toBinary(
    MessageMetadataSchema,
    create(MessageMetadataSchema, { producerName: 'p', sequenceId: 5n, publishTime: 9n }),
  )
  const [header, payload] = encodePayloadFrame(command, metadata, new Uint8Array([7]))
  const bem = toBinary(
    BrokerEntryMetadataSchema,
    create(BrokerEntryMetadataSchema, { brokerTimestamp: 42n, index: 7n }),
  )
  const cmdEnd = 8 + command.length
  const prefix = new Uint8Array(6)
  new DataView(prefix.buffer).setUint16(0, 0x0e02)
  new DataView(prefix.buffer).setUint32(2, bem.length)
  const frame = concat(header.subarray(0, cmdEnd), prefix, bem, header.subarray(cmdEnd), payload)
  new DataView(frame.buffer).setUint32(0, frame.length - 4)
  const decoded = decodeFrame(frame.subarray(4))
  assert.equal(decoded.brokerEntryMetadata?.index, 7n)
  assert.equal(decoded.brokerEntryMetadata?.brokerTimestamp, 42n)
  assert.deepEqual([...decoded.payload!], [7])
  assert.equal(decoded.checksumMismatch, undefined)
})

void test('sizes that point outside the frame are protocol errors', () => {
  assert.throws(() => decodeFrame(new Uint8Array([0, 0])), ProtocolError)
  assert.throws(() => decodeFrame(new Uint8Array([0, 0, 0, 50, 8, 18])), ProtocolError)
  const command = encodeCommand({ type: CommandType.SEND, send: { producerId: 1n, sequenceId: 0n } })
  const metadata = toBinary(
    MessageMetadataSchema,
    create(MessageMetadataSchema, { producerName: 'p', sequenceId: 0n, publishTime: 1n }),
  )
  const frame = concat(...encodePayloadFrame(command, metadata, new Uint8Array(0)))
  new DataView(frame.buffer).setUint32(4 + 4 + command.length + 6, 0xffffff)
  assert.throws(() => decodeFrame(frame.subarray(4)), /metadata size/)
  frame[4 + 4 + command.length] = 0x0f
  assert.throws(() => decodeFrame(frame.subarray(4)), /magic/)
})

void test('a command whose type promises a body it lacks is rejected', () => {
  const frame = encodeSimpleFrame(encodeCommand({ type: CommandType.SEND_RECEIPT }))
  assert.throws(() => decodeFrame(frame.subarray(4)), /no sendReceipt body/)
})
