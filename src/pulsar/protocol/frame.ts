// Pulsar frames (all integers big-endian). The FramedSocket strips the leading total size, so the
// decoder here sees everything after it.
//
//   simple:   [totalSize u32][commandSize u32][BaseCommand]
//   payload:  [totalSize u32][commandSize u32][BaseCommand]
//             ([0x0e02 u16][brokerEntryMetadataSize u32][BrokerEntryMetadata])?   broker → client only
//             [0x0e01 u16][CRC-32C u32][metadataSize u32][MessageMetadata][payload]
//
// The CRC-32C covers metadataSize, metadata and payload. It is verified on receive: a corrupted
// MESSAGE must be reported (and not acknowledged as good) instead of handed to the application.

import { fromBinary } from '@bufbuild/protobuf'
import { crc32c } from '../../core/crc32c.ts'
import { ProtocolError } from '../../core/errors.ts'
import { decodeCommand } from './commands.ts'
import type { BaseCommand } from './commands.ts'
import { BrokerEntryMetadataSchema, MessageMetadataSchema } from './generated/pulsar-api_pb.ts'
import type { BrokerEntryMetadata, MessageMetadata } from './generated/pulsar-api_pb.ts'

export const MAGIC_CRC32C = 0x0e01
export const MAGIC_BROKER_ENTRY_METADATA = 0x0e02
/** Default broker `maxMessageSize` (5 MiB); CONNECTED may announce another one. */
export const DEFAULT_MAX_MESSAGE_SIZE = 5 * 1024 * 1024
/** Room for the command and metadata around a payload of the maximum message size. */
export const FRAME_OVERHEAD = 10 * 1024

export interface DecodedFrame {
  command: BaseCommand
  /** Present on payload frames. */
  metadata?: MessageMetadata
  /** The bytes after the metadata, a view into the frame (still compressed, possibly a batch). */
  payload?: Uint8Array
  brokerEntryMetadata?: BrokerEntryMetadata
  /** The checksum did not match: the payload must not be trusted. */
  checksumMismatch?: boolean
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Encodes a frame without payload, including the total size. */
export function encodeSimpleFrame(command: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + command.length)
  const dv = view(out)
  dv.setUint32(0, 4 + command.length)
  dv.setUint32(4, command.length)
  out.set(command, 8)
  return out
}

/**
 * Encodes a payload frame as two buffers (header and payload) so a large payload is not copied;
 * write both, in order, with one socket write.
 */
export function encodePayloadFrame(
  command: Uint8Array,
  metadata: Uint8Array,
  payload: Uint8Array,
): [Uint8Array, Uint8Array] {
  const headerSize = 4 + 4 + command.length + 2 + 4 + 4 + metadata.length
  const header = new Uint8Array(headerSize)
  const dv = view(header)
  const totalSize = headerSize - 4 + payload.length
  dv.setUint32(0, totalSize)
  dv.setUint32(4, command.length)
  header.set(command, 8)
  let o = 8 + command.length
  dv.setUint16(o, MAGIC_CRC32C)
  const crcAt = o + 2
  o += 6
  dv.setUint32(o, metadata.length)
  header.set(metadata, o + 4)
  const crc = crc32c(payload, crc32c(header.subarray(o)))
  dv.setUint32(crcAt, crc)
  return [header, payload]
}

/** Decodes a frame (the bytes after the total size). Never reads outside `frame`. */
export function decodeFrame(frame: Uint8Array): DecodedFrame {
  if (frame.length < 4) throw new ProtocolError(`Pulsar frame of ${frame.length} bytes is too short`)
  const dv = view(frame)
  const commandSize = dv.getUint32(0)
  if (commandSize > frame.length - 4) {
    throw new ProtocolError(`Pulsar command size ${commandSize} exceeds the frame of ${frame.length} bytes`)
  }
  const command = decodeCommand(frame.subarray(4, 4 + commandSize))
  let o = 4 + commandSize
  if (o === frame.length) return { command }

  let brokerEntryMetadata: BrokerEntryMetadata | undefined
  if (frame.length - o >= 2 && dv.getUint16(o) === MAGIC_BROKER_ENTRY_METADATA) {
    if (frame.length - o < 6) throw new ProtocolError('truncated broker entry metadata')
    const size = dv.getUint32(o + 2)
    if (size > frame.length - o - 6)
      throw new ProtocolError(`broker entry metadata size ${size} exceeds the frame`)
    brokerEntryMetadata = parse(
      BrokerEntryMetadataSchema,
      frame.subarray(o + 6, o + 6 + size),
      'broker entry metadata',
    )
    o += 6 + size
  }
  if (frame.length - o < 10) throw new ProtocolError('truncated Pulsar payload header')
  const magic = dv.getUint16(o)
  if (magic !== MAGIC_CRC32C) {
    throw new ProtocolError(`unknown Pulsar payload magic 0x${magic.toString(16).padStart(4, '0')}`)
  }
  const expected = dv.getUint32(o + 2)
  const checksumMismatch = crc32c(frame.subarray(o + 6)) !== expected
  const metadataSize = dv.getUint32(o + 6)
  o += 10
  if (metadataSize > frame.length - o) {
    throw new ProtocolError(`message metadata size ${metadataSize} exceeds the frame`)
  }
  const metadata = parse(MessageMetadataSchema, frame.subarray(o, o + metadataSize), 'message metadata')
  const payload = frame.subarray(o + metadataSize)
  const out: DecodedFrame = { command, metadata, payload }
  if (brokerEntryMetadata) out.brokerEntryMetadata = brokerEntryMetadata
  if (checksumMismatch) out.checksumMismatch = true
  return out
}

function parse<T extends typeof MessageMetadataSchema | typeof BrokerEntryMetadataSchema>(
  schema: T,
  bytes: Uint8Array,
  what: string,
): T extends typeof MessageMetadataSchema ? MessageMetadata : BrokerEntryMetadata {
  try {
    return fromBinary(schema, bytes) as never
  } catch (cause) {
    throw new ProtocolError(`malformed ${what}: ${(cause as Error).message}`, { cause })
  }
}
