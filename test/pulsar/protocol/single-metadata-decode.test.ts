// The hand-written SingleMessageMetadata decoder must read exactly what the generated code reads.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { create, fromBinary, toBinary } from '@bufbuild/protobuf'
import { ProtocolError } from '../../../src/core/errors.ts'
import { SingleMessageMetadataSchema } from '../../../src/pulsar/protocol/generated/pulsar-api_pb.ts'
import { decodeSingleMetadata } from '../../../src/pulsar/protocol/single-metadata-decode.ts'

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

function library(bytes: Uint8Array): Record<string, unknown> {
  const m = fromBinary(SingleMessageMetadataSchema, bytes)
  return {
    properties: m.properties.map((p) => ({ key: p.key, value: p.value })),
    partitionKey: m.partitionKey,
    payloadSize: m.payloadSize,
    compactedOut: m.compactedOut,
    eventTime: m.eventTime,
    partitionKeyB64Encoded: m.partitionKeyB64Encoded,
    orderingKey: [...m.orderingKey],
    sequenceId: m.sequenceId,
    nullValue: m.nullValue,
    nullPartitionKey: m.nullPartitionKey,
  }
}

function ours(bytes: Uint8Array): Record<string, unknown> {
  // Decoded from inside a larger buffer, as in a batch: nothing outside [start, end) is read.
  const framed = new Uint8Array(bytes.length + 6).fill(0xff)
  framed.set(bytes, 3)
  const m = decodeSingleMetadata(framed, 3, 3 + bytes.length)
  return { ...m, orderingKey: [...m.orderingKey] }
}

function randomMetadata(r: () => number): Uint8Array {
  const text = (): string =>
    Array.from({ length: Math.floor(r() * 40) }, () =>
      String.fromCodePoint(r() < 0.8 ? 32 + Math.floor(r() * 90) : 0x4e00 + Math.floor(r() * 500)),
    ).join('')
  const big = (): bigint =>
    r() < 0.4
      ? BigInt(Math.floor(r() * 2 ** (1 + Math.floor(r() * 52))))
      : BigInt.asUintN(64, BigInt(Math.floor(r() * 2 ** 52)) * BigInt(Math.floor(r() * 8192)))
  const m = create(SingleMessageMetadataSchema, {
    properties: Array.from({ length: r() < 0.6 ? 0 : Math.floor(r() * 4) }, () => ({
      key: text(),
      value: text(),
    })),
    // int32, negative ones included (ten bytes on the wire)
    payloadSize: r() < 0.1 ? -Math.floor(r() * 2 ** 31) : Math.floor(r() * 2 ** (1 + Math.floor(r() * 30))),
  })
  if (r() < 0.5) m.partitionKey = text()
  if (r() < 0.2) m.compactedOut = r() < 0.5
  if (r() < 0.4) m.eventTime = big()
  if (r() < 0.2) m.partitionKeyB64Encoded = r() < 0.5
  if (r() < 0.3) m.orderingKey = Uint8Array.from({ length: Math.floor(r() * 20) }, () => r() * 256)
  if (r() < 0.8) m.sequenceId = big()
  if (r() < 0.2) m.nullValue = r() < 0.5
  if (r() < 0.2) m.nullPartitionKey = r() < 0.5
  return toBinary(SingleMessageMetadataSchema, m)
}

void test('reads what the generated decoder reads, on random inputs', () => {
  const r = rng(3)
  for (let i = 0; i < 3000; i++) {
    const bytes = randomMetadata(r)
    assert.deepEqual(ours(bytes), library(bytes), `round ${i}`)
  }
})

void test('a field given twice: the last scalar wins and repeated properties add up', () => {
  const r = rng(4)
  for (let i = 0; i < 500; i++) {
    const a = randomMetadata(r)
    const b = randomMetadata(r)
    const both = new Uint8Array(a.length + b.length)
    both.set(a)
    both.set(b, a.length)
    assert.deepEqual(ours(both), library(both), `round ${i}`)
  }
})

void test('unknown fields of every wire type are skipped', () => {
  const base = randomMetadata(rng(5))
  const unknown = [
    [0xa0, 0x06, 0x96, 0x01], // field 100 varint 150
    [0xa9, 0x06, 1, 2, 3, 4, 5, 6, 7, 8], // field 101 fixed64
    [0xb2, 0x06, 3, 9, 9, 9], // field 102 length-delimited
    [0xbd, 0x06, 1, 2, 3, 4], // field 103 fixed32
  ]
  for (const u of unknown) {
    const bytes = new Uint8Array([...u, ...base, ...u])
    assert.deepEqual(ours(bytes), library(bytes))
  }
  // inside a property (KeyValue) too
  const kv = new Uint8Array([0x0a, 9, 0x0a, 1, 0x6b, 0x18, 5, 0x12, 2, 0x76, 0x76, 0x18, 0x01])
  assert.deepEqual(ours(kv), library(kv))
  assert.deepEqual(ours(kv).properties, [{ key: 'k', value: 'vv' }])
})

void test('every truncation either decodes like the library or is a ProtocolError', () => {
  const r = rng(6)
  for (let i = 0; i < 300; i++) {
    const bytes = randomMetadata(r)
    for (let cut = 0; cut < bytes.length; cut++) {
      const part = bytes.subarray(0, cut)
      let mine: Record<string, unknown> | undefined
      try {
        mine = ours(part)
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`)
        assert.throws(() => library(part))
        continue
      }
      assert.deepEqual(mine, library(part))
    }
  }
})

void test('malformed input is a ProtocolError, never a read outside the range', () => {
  for (const bytes of [
    [0x18], // payload_size tag without a value
    [0x18, 0x80, 0x80], // truncated varint
    [0x18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // eleven bytes
    [0x12, 0x05, 0x61], // partition key longer than what is left
    [0x1a, 0x01, 0x00], // payload_size with the length-delimited wire type
    [0x0b], // start-group wire type
    [0x00, 0x01], // field number 0
  ]) {
    assert.throws(() => ours(new Uint8Array(bytes)), ProtocolError, JSON.stringify(bytes))
  }
})
