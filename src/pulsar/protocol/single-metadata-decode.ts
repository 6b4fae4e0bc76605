// A hand-written decoder for SingleMessageMetadata, the one protobuf read once per message of every
// batch on the consume path: the generic (reflection-driven) decoder and the message object it
// builds cost more per message than everything else the consumer did. It yields the fields with the
// values the generated code gives (proto2 defaults when absent: '' / 0n / false / empty bytes, last
// occurrence wins, unknown fields skipped), which
// test/pulsar/protocol/single-metadata-decode.test.ts checks against the library on random inputs.
// Malformed bytes (truncated varint or field, wire type that does not match the field, group wire
// types) throw a ProtocolError, never read past `end`.
//
//   1 properties repeated KeyValue{1 key, 2 value}   2 partition_key string   3 payload_size int32
//   4 compacted_out bool   5 event_time uint64   6 partition_key_b64_encoded bool
//   7 ordering_key bytes   8 sequence_id uint64   9 null_value bool   10 null_partition_key bool

import { ProtocolError } from '../../core/errors.ts'

export interface SingleEntryMetadata {
  properties: { key: string; value: string }[]
  partitionKey: string
  payloadSize: number
  compactedOut: boolean
  eventTime: bigint
  partitionKeyB64Encoded: boolean
  orderingKey: Uint8Array
  sequenceId: bigint
  nullValue: boolean
  nullPartitionKey: boolean
}

const VARINT = 0
const I64 = 1
const LEN = 2
const I32 = 5
const EMPTY_BYTES = new Uint8Array(0)
const utf8 = new TextDecoder()

// The read position of the one decode running (decoding is synchronous and never re-enters), kept
// outside the functions so reading a varint allocates nothing to return two values.
let pos = 0

function malformed(what: string): ProtocolError {
  return new ProtocolError(`malformed single message metadata: ${what}`)
}

/** Reads a varint of up to ten bytes; returns its low 32 bits as an unsigned number. */
function varint32(buf: Uint8Array, end: number): number {
  let value = 0
  for (let shift = 0; shift < 70; shift += 7) {
    if (pos >= end) throw malformed('truncated varint')
    const b = buf[pos++]!
    if (shift < 32) value |= (b & 0x7f) << shift
    if (b < 0x80) return value >>> 0
  }
  throw malformed('varint longer than ten bytes')
}

/** Reads a varint as a uint64 (bits past 64 of a ten-byte varint are dropped, as protobuf does). */
function varint64(buf: Uint8Array, end: number): bigint {
  let lo = 0
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) throw malformed('truncated varint')
    const b = buf[pos++]!
    lo |= (b & 0x7f) << shift
    if (b < 0x80) return BigInt(lo)
  }
  // Bits 28 and up, as a number while it stays exact (6 more bytes carry at most 42 bits).
  let hi = 0
  let scale = 1
  for (let i = 0; i < 6; i++) {
    if (pos >= end) throw malformed('truncated varint')
    const b = buf[pos++]!
    hi += (b & 0x7f) * scale
    scale *= 128
    if (b < 0x80) {
      if (hi < 2 ** 25) return BigInt(hi * 2 ** 28 + lo)
      return BigInt.asUintN(64, (BigInt(hi) << 28n) | BigInt(lo))
    }
  }
  throw malformed('varint longer than ten bytes')
}

/** Reads a varint bool: any non-zero value is true. */
function varintBool(buf: Uint8Array, end: number): boolean {
  let any = 0
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw malformed('truncated varint')
    const b = buf[pos++]!
    any |= b & 0x7f
    if (b < 0x80) return any !== 0
  }
  throw malformed('varint longer than ten bytes')
}

/** Reads a length prefix and checks the bytes it announces are there; returns where they end. */
function lengthDelimited(buf: Uint8Array, end: number): number {
  const n = varint32(buf, end)
  if (n > end - pos) throw malformed('field length exceeds the metadata')
  return pos + n
}

function skip(buf: Uint8Array, end: number, wireType: number): void {
  switch (wireType) {
    case VARINT:
      varintBool(buf, end)
      return
    case I64:
      if (end - pos < 8) throw malformed('truncated fixed64')
      pos += 8
      return
    case LEN:
      pos = lengthDelimited(buf, end)
      return
    case I32:
      if (end - pos < 4) throw malformed('truncated fixed32')
      pos += 4
      return
    default:
      throw malformed(`unsupported wire type ${wireType}`)
  }
}

function expect(wireType: number, want: number, field: number): void {
  if (wireType !== want) throw malformed(`field ${field} has wire type ${wireType}`)
}

function keyValue(buf: Uint8Array, end: number): { key: string; value: string } {
  let key = ''
  let value = ''
  while (pos < end) {
    const tag = varint32(buf, end)
    const field = tag >>> 3
    const wireType = tag & 7
    if (field === 1 || field === 2) {
      expect(wireType, LEN, field)
      const stop = lengthDelimited(buf, end)
      const text = utf8.decode(buf.subarray(pos, stop))
      pos = stop
      if (field === 1) key = text
      else value = text
    } else skip(buf, end, wireType)
  }
  return { key, value }
}

/** Decodes the SingleMessageMetadata in `buf[start, end)`. */
export function decodeSingleMetadata(buf: Uint8Array, start: number, end: number): SingleEntryMetadata {
  pos = start
  let properties: { key: string; value: string }[] | undefined
  let partitionKey = ''
  let payloadSize = 0
  let compactedOut = false
  let eventTime = 0n
  let partitionKeyB64Encoded = false
  let orderingKey = EMPTY_BYTES
  let sequenceId = 0n
  let nullValue = false
  let nullPartitionKey = false
  while (pos < end) {
    const tag = varint32(buf, end)
    const field = tag >>> 3
    const wireType = tag & 7
    switch (field) {
      case 1: {
        expect(wireType, LEN, field)
        const stop = lengthDelimited(buf, end)
        const kv = keyValue(buf, stop)
        ;(properties ??= []).push(kv)
        break
      }
      case 2: {
        expect(wireType, LEN, field)
        const stop = lengthDelimited(buf, end)
        partitionKey = utf8.decode(buf.subarray(pos, stop))
        pos = stop
        break
      }
      case 3:
        expect(wireType, VARINT, field)
        payloadSize = varint32(buf, end) | 0
        break
      case 4:
        expect(wireType, VARINT, field)
        compactedOut = varintBool(buf, end)
        break
      case 5:
        expect(wireType, VARINT, field)
        eventTime = varint64(buf, end)
        break
      case 6:
        expect(wireType, VARINT, field)
        partitionKeyB64Encoded = varintBool(buf, end)
        break
      case 7: {
        expect(wireType, LEN, field)
        const stop = lengthDelimited(buf, end)
        orderingKey = buf.slice(pos, stop)
        pos = stop
        break
      }
      case 8:
        expect(wireType, VARINT, field)
        sequenceId = varint64(buf, end)
        break
      case 9:
        expect(wireType, VARINT, field)
        nullValue = varintBool(buf, end)
        break
      case 10:
        expect(wireType, VARINT, field)
        nullPartitionKey = varintBool(buf, end)
        break
      default:
        if (field === 0) throw malformed('field number 0')
        skip(buf, end, wireType)
    }
  }
  return {
    properties: properties ?? [],
    partitionKey,
    payloadSize,
    compactedOut,
    eventTime,
    partitionKeyB64Encoded,
    orderingKey,
    sequenceId,
    nullValue,
    nullPartitionKey,
  }
}
