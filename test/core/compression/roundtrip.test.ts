// Every codec round-trips random, repetitive and text-like data of many sizes, through both the
// sync and async forms, and honours the output bound exactly.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { codecs } from '../../../src/core/compression/index.ts'
import { ConfigError, ProtocolError } from '../../../src/core/errors.ts'
import { samples } from './samples.ts'

const SIZES = [
  0,
  1,
  2,
  3,
  4,
  5,
  11,
  12,
  13,
  15,
  16,
  17,
  63,
  64,
  65,
  255,
  256,
  1000,
  32_768,
  65_535,
  65_536,
  65_537,
  100_000,
  1 << 20,
  4 << 20,
]

function repetitive(size: number): Uint8Array {
  const unit = new TextEncoder().encode('{"event":"order-paid","amount":12.5},')
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = unit[i % unit.length]!
  // Sprinkle changes so matches have varied lengths and offsets.
  for (let i = 7; i < size; i += 997) out[i] = i & 0xff
  return out
}

for (const [key, codec] of Object.entries(codecs)) {
  void test(`${codec.name} (${key}) round-trips random and repetitive data of 0 B … 4 MiB`, async () => {
    for (const size of SIZES) {
      for (const [kind, data] of [
        ['random', randomBytes(size)],
        ['repetitive', repetitive(size)],
      ] as const) {
        const packed = codec.compressSync(data)
        const back = codec.decompressSync(packed, size)
        assert.equal(back.length, size, `${kind} ${size}`)
        assert.ok(Buffer.from(back).equals(Buffer.from(data)), `${kind} ${size}`)
        if (kind === 'repetitive' && size >= 4096) {
          assert.ok(packed.length < size / 3, `${kind} ${size} compressed only to ${packed.length}`)
        }
        if (size === 65_537 || size === 1000) {
          const asyncBack = await codec.decompress(await codec.compress(data), size)
          assert.ok(Buffer.from(asyncBack).equals(Buffer.from(data)), `async ${kind} ${size}`)
        }
      }
    }
  })

  void test(`${codec.name}: output bound is exact (size passes, size - 1 is DECOMPRESSED_TOO_LARGE)`, async () => {
    for (const data of [samples.json!, samples.runs!, samples.small!]) {
      const packed = codec.compressSync(data)
      assert.equal(codec.decompressSync(packed, data.length).length, data.length)
      assert.throws(
        () => codec.decompressSync(packed, data.length - 1),
        (err: unknown) => err instanceof ProtocolError && err.code === 'CONDUIT_DECOMPRESSED_TOO_LARGE',
      )
      await assert.rejects(
        codec.decompress(packed, data.length - 1),
        (err: unknown) => err instanceof ProtocolError && err.code === 'CONDUIT_DECOMPRESSED_TOO_LARGE',
      )
    }
    // Empty content fits a zero bound.
    assert.equal(codec.decompressSync(codec.compressSync(new Uint8Array(0)), 0).length, 0)
  })

  void test(`${codec.name}: a nonsense bound is a ConfigError`, async () => {
    const packed = codec.compressSync(samples.small!)
    assert.throws(() => codec.decompressSync(packed, -1), ConfigError)
    assert.throws(() => codec.decompressSync(packed, 1.5), ConfigError)
    await assert.rejects(codec.decompress(packed, Number.NaN), ConfigError)
  })

  void test(`${codec.name}: reads input that is a view into a larger buffer`, () => {
    const packed = codec.compressSync(samples.json!)
    const padded = new Uint8Array(packed.length + 13)
    padded.set(packed, 7)
    const view = padded.subarray(7, 7 + packed.length)
    assert.ok(Buffer.from(codec.decompressSync(view, samples.json!.length)).equals(samples.json!))
  })
}
