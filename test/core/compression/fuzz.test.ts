// Decompressors are fed random and mutated input: each must either return at most the bound or
// throw a ProtocolError — never another error type, never hang, never allocate past the bound.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, randomInt } from 'node:crypto'
import { codecs } from '../../../src/core/compression/index.ts'
import { ProtocolError } from '../../../src/core/errors.ts'
import { samples } from './samples.ts'

const BOUND = 256 * 1024

function mutate(data: Uint8Array): Uint8Array {
  const out = Uint8Array.from(data)
  switch (randomInt(4)) {
    case 0: // flip a few bytes
      for (let k = randomInt(1, 4); k > 0 && out.length > 0; k--)
        out[randomInt(out.length)] ^= 1 << randomInt(8)
      return out
    case 1: // set a byte to an extreme value (lengths, offsets)
      if (out.length > 0) out[randomInt(out.length)] = randomInt(2) ? 0xff : 0x00
      return out
    case 2: // truncate
      return out.subarray(0, randomInt(out.length + 1))
    default: // splice random bytes in
      return Uint8Array.from([...out.subarray(0, 20), ...randomBytes(randomInt(1, 16)), ...out.subarray(20)])
  }
}

function check(name: string, run: () => Uint8Array): void {
  try {
    const out = run()
    assert.ok(out.length <= BOUND, `${name} produced ${out.length} bytes over the bound`)
  } catch (err) {
    if (!(err instanceof ProtocolError))
      throw new Error(`${name} threw a non-ProtocolError: ${String(err)}`, { cause: err })
  }
}

for (const [key, codec] of Object.entries(codecs)) {
  void test(`${codec.name} (${key}) survives random and mutated input`, () => {
    const seeds = [samples.small!, samples.json!.subarray(0, 20_000), samples.runs!.subarray(0, 20_000)].map(
      (s) => codec.compressSync(s),
    )
    const rounds = key === 'gzip' || key === 'deflate' || key === 'zstd' ? 300 : 1500
    for (let i = 0; i < rounds; i++) {
      const input = i % 5 === 0 ? randomBytes(randomInt(0, 300)) : mutate(seeds[i % seeds.length]!)
      check(codec.name, () => codec.decompressSync(input, BOUND))
    }
  })
}
