import { test } from 'node:test'
import assert from 'node:assert/strict'
import { javaStringHashCode, murmur3_32 } from '../../src/core/murmur3.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

void test('murmur3_32 matches the widely published MurmurHash3_x86_32 vectors', () => {
  const cases: Array<[Uint8Array, number, number]> = [
    [new Uint8Array(0), 0, 0],
    [new Uint8Array(0), 1, 0x514e28b7],
    [new Uint8Array(0), 0xffffffff, 0x81f16f39],
    [new Uint8Array([0, 0, 0, 0]), 0, 0x2362f9de],
    [new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0, 0x76293b50],
    [new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0, 0xf55b516b],
    [new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0x5082edee, 0x2362f9de],
    [new Uint8Array([0x21, 0x43, 0x65]), 0, 0x7e4a8634],
    [new Uint8Array([0x21, 0x43]), 0, 0xa0f7b07a],
    [new Uint8Array([0x21]), 0, 0x72661cf4],
    [enc('aaaa'), 0x9747b28c, 0x5a97808a],
    [enc('aaa'), 0x9747b28c, 0x283e0130],
    [enc('aa'), 0x9747b28c, 0x5d211726],
    [enc('a'), 0x9747b28c, 0x7fa09ea6],
    [enc('abcd'), 0x9747b28c, 0xf0478627],
    [enc('Hello, world!'), 0x9747b28c, 0x24884cba],
    [enc('The quick brown fox jumps over the lazy dog'), 0x9747b28c, 0x2fa826cd],
  ]
  for (const [input, seed, expected] of cases) {
    assert.equal(
      murmur3_32(input, seed),
      expected,
      `input ${Buffer.from(input).toString('hex')} seed ${seed}`,
    )
  }
})

void test('murmur3_32 is unsigned and defaults to seed 0', () => {
  assert.equal(murmur3_32(enc('Hello, world!')), murmur3_32(enc('Hello, world!'), 0))
  for (let i = 0; i < 100; i++) {
    const v = murmur3_32(enc(`k${i}`))
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)
  }
})

void test('javaStringHashCode matches Java String.hashCode', () => {
  assert.equal(javaStringHashCode(''), 0)
  assert.equal(javaStringHashCode('a'), 97)
  assert.equal(javaStringHashCode('hello'), 99162322)
  assert.equal(javaStringHashCode('Hello World'), -862545276)
  // The famous string whose hash is Integer.MIN_VALUE.
  assert.equal(javaStringHashCode('polygenelubricants'), -2147483648)
  // Non-BMP characters hash as their two UTF-16 surrogates, as in Java.
  assert.equal(javaStringHashCode('😀'), 0xd83d * 31 + 0xde00)
})

// Computed on JDK 17 with Guava 33 Hashing.murmur3_32_fixed(seed) (the standard x86_32 algorithm)
// and java.lang.String.hashCode: [hex input, seed 0, seed 0x9747b28c].
const JVM_MURMUR3: Array<[string, number, number]> = [
  ['', 0x0, 0xebb6c228],
  ['80', 0xfeb9e1d, 0xa7e31daf],
  ['ff00', 0xb1f1959c, 0x9e94d74b],
  ['c3a9ff', 0xc5081a25, 0x8e905cae],
  ['deadbeef', 0xff30174a, 0x654db2b9],
  ['0001fe7f80', 0xdf8c64d2, 0x79fc08a5],
  ['f0f1f2f3f4f5', 0xf7f373a5, 0xdcc6289e],
  ['e282ac2d6b6579', 0x648f77b0, 0xdd9185b8],
  ['8081828384858687', 0x858d3550, 0x439e7b0d],
  ['fffefdfcfbfaf9f8f7', 0xeaff85fe, 0x705049db],
]

const JVM_STRINGS: Array<[string, number, number]> = [
  // [string, String.hashCode(), murmur3_32_fixed(0) of its UTF-8 bytes]
  ['key-1', 101943363, 0x98b115a0],
  ['order/42', 1234257119, 0xf0550bb4],
  ['日本語キー', -858417722, 0xdffdd7d8],
  ['emoji😀key', 1935486358, 0xaf2f43bf],
  ['ÅÄÖ', 195607, 0x16cecb8],
]

void test('murmur3_32 and javaStringHashCode match the JVM on high bytes and non-ASCII keys', () => {
  for (const [hex, seed0, seedKafka] of JVM_MURMUR3) {
    assert.equal(murmur3_32(Buffer.from(hex, 'hex')), seed0, `${hex} seed 0`)
    assert.equal(murmur3_32(Buffer.from(hex, 'hex'), 0x9747b28c), seedKafka, `${hex} seed 0x9747b28c`)
  }
  for (const [s, hashCode, m3] of JVM_STRINGS) {
    assert.equal(javaStringHashCode(s), hashCode, s)
    assert.equal(murmur3_32(enc(s)), m3, s)
  }
})
