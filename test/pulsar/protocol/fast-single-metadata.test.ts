// The hand-written SingleMessageMetadata encoder must write exactly what the generated code writes.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { create, fromBinary, toBinary } from '@bufbuild/protobuf'
import {
  encodeSingleMetadata,
  plainSingleMetadataSize,
  singleMetadataSize,
  writePlainSingleMetadata,
  writeSingleMetadata,
} from '../../../src/pulsar/protocol/fast-single-metadata.ts'
import type { SingleMetadataFields } from '../../../src/pulsar/protocol/fast-single-metadata.ts'
import { SingleMessageMetadataSchema } from '../../../src/pulsar/protocol/generated/pulsar-api_pb.ts'

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

function libraryBytes(f: SingleMetadataFields): Uint8Array {
  const m = create(SingleMessageMetadataSchema, {
    properties: [...(f.properties ?? [])],
    payloadSize: f.payloadSize,
  })
  if (f.partitionKey !== undefined) m.partitionKey = f.partitionKey
  if (f.eventTime !== undefined) m.eventTime = f.eventTime
  if (f.partitionKeyB64) m.partitionKeyB64Encoded = true
  if (f.orderingKey) m.orderingKey = f.orderingKey
  if (f.sequenceId !== undefined) m.sequenceId = f.sequenceId
  if (f.nullValue) m.nullValue = true
  return toBinary(SingleMessageMetadataSchema, m)
}

void test('byte-identical to the generated encoder on random inputs', () => {
  const r = rng(7)
  const text = (): string =>
    Array.from({ length: Math.floor(r() * 300) }, () =>
      String.fromCodePoint(r() < 0.9 ? 32 + Math.floor(r() * 90) : 0x4e00 + Math.floor(r() * 500)),
    ).join('')
  const big = (): bigint =>
    r() < 0.3
      ? BigInt(Math.floor(r() * 200))
      : BigInt.asUintN(64, BigInt(Math.floor(r() * 2 ** 52)) * BigInt(Math.floor(r() * 4096)))
  for (let i = 0; i < 3000; i++) {
    const f: SingleMetadataFields = {
      properties: Array.from({ length: Math.floor(r() * 4) }, () => ({ key: text(), value: text() })),
      payloadSize: r() < 0.1 ? 0 : Math.floor(r() * 2 ** (1 + Math.floor(r() * 30))),
    }
    if (r() < 0.5) f.partitionKey = text()
    if (r() < 0.2) f.partitionKeyB64 = true
    if (r() < 0.5) f.eventTime = big()
    if (r() < 0.3)
      f.orderingKey = Uint8Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256))
    if (r() < 0.8) f.sequenceId = big()
    if (r() < 0.2) f.nullValue = true
    const ours = encodeSingleMetadata(f)
    assert.deepEqual(
      Buffer.from(ours).toString('hex'),
      Buffer.from(libraryBytes(f)).toString('hex'),
      `case ${i}`,
    )
    const back = fromBinary(SingleMessageMetadataSchema, ours)
    assert.equal(back.payloadSize, f.payloadSize)
  }
})

void test('strings with lone surrogates are written as U+FFFD, like the generated encoder', () => {
  const f: SingleMetadataFields = {
    properties: [{ key: 'a\ud800b', value: '\udc00' }],
    partitionKey: 'k\ud83d',
    payloadSize: 3,
    sequenceId: 1n,
  }
  assert.equal(
    Buffer.from(encodeSingleMetadata(f)).toString('hex'),
    Buffer.from(libraryBytes(f)).toString('hex'),
  )
})

void test('the plain writer equals the full encoder for payload size and sequence id only', () => {
  const r = rng(99)
  for (let i = 0; i < 2000; i++) {
    const payloadSize = Math.floor(r() * 2 ** Math.floor(r() * 31))
    const sequenceId =
      r() < 0.1
        ? BigInt.asUintN(64, BigInt(Math.floor(r() * 2 ** 52)) * 4096n + BigInt(Math.floor(r() * 4096)))
        : BigInt(Math.floor(r() * 2 ** Math.floor(r() * 53)))
    const expected = Buffer.from(libraryBytes({ payloadSize, sequenceId })).toString('hex')
    const out = new Uint8Array(plainSingleMetadataSize(payloadSize, sequenceId) + 2)
    const end = writePlainSingleMetadata(out, 1, payloadSize, sequenceId)
    assert.equal(end, out.length - 1, `case ${i}: size`)
    assert.equal(Buffer.from(out.subarray(1, end)).toString('hex'), expected, `case ${i}`)
  }
})

void test('writeSingleMetadata writes at an offset and returns the end', () => {
  const f: SingleMetadataFields = {
    partitionKey: 'kü',
    payloadSize: 300,
    eventTime: 5n,
    sequenceId: 2n ** 60n,
  }
  const size = singleMetadataSize(f)
  const out = Buffer.alloc(size + 7, 0xee)
  assert.equal(writeSingleMetadata(f, out, 3), 3 + size)
  assert.equal(out.subarray(3, 3 + size).toString('hex'), Buffer.from(libraryBytes(f)).toString('hex'))
  assert.equal(out[2], 0xee)
  assert.equal(out[3 + size], 0xee)
})
