import { test } from 'node:test'
import assert from 'node:assert/strict'
import { kafkaPartitionForKey, murmur2 } from '../../src/core/murmur2.ts'
import { ConfigError } from '../../src/core/errors.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

// Published in apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java
// (testMurmur2), as Java signed ints; the byte-array case is a JVM-generated vector used by Go clients.
const JAVA_VECTORS: Array<[Uint8Array, number]> = [
  [enc('21'), -973932308],
  [enc('foobar'), -790332482],
  [enc('a-little-bit-long-string'), -985981536],
  [enc('a-little-bit-longer-string'), -1486304829],
  [enc('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
  [enc('abc'), 479470107],
  [new Uint8Array([12, 42, 56, 24, 109, 111]), 274204207],
  // Computed from the Java definition (akka's Murmur2Spec records the same values from Kafka's impl).
  [enc('1'), -1993445489],
  [enc('12'), 126087238],
  [enc('123'), -267702483],
  [enc('1234'), -1614185708],
  [enc('12345'), -1188365604],
]

void test('murmur2 matches the Java client for the published vectors (every tail length)', () => {
  for (const [input, expected] of JAVA_VECTORS) assert.equal(murmur2(input), expected)
})

void test('murmur2 returns a signed 32-bit integer, empty input included', () => {
  const h = murmur2(new Uint8Array(0))
  assert.ok(Number.isInteger(h) && h >= -0x80000000 && h <= 0x7fffffff)
  assert.equal(murmur2(new Uint8Array(0)), h) // deterministic
})

void test('kafkaPartitionForKey = toPositive(murmur2) % n, not Math.abs', () => {
  // "21" hashes negative: toPositive clears the sign bit: -973932308 & 0x7fffffff = 1173551340.
  assert.equal(kafkaPartitionForKey(enc('21'), 2 ** 31 - 1), 1173551340)
  assert.equal(kafkaPartitionForKey(enc('21'), 12), 1173551340 % 12)
  assert.equal(kafkaPartitionForKey(enc('foobar'), 7), 1357151166 % 7)
  assert.equal(kafkaPartitionForKey(enc('abc'), 3), 479470107 % 3)
  for (let i = 0; i < 200; i++) {
    const p = kafkaPartitionForKey(enc(`key-${i}`), 5)
    assert.ok(p >= 0 && p < 5)
  }
})

void test('kafkaPartitionForKey rejects a non-positive partition count', () => {
  assert.throws(() => kafkaPartitionForKey(enc('a'), 0), ConfigError)
  assert.throws(() => kafkaPartitionForKey(enc('a'), 1.5), ConfigError)
})

// Computed on JDK 17 with Kafka 4.3.1's org.apache.kafka.common.utils.Utils.murmur2, for bytes >= 0x80
// (sign extension in Java) and every tail length 0..3.
const JVM_BYTES: Array<[string, number]> = [
  ['', 275646681],
  ['80', 857690492],
  ['ff00', 1945074367],
  ['c3a9ff', 2085123101],
  ['deadbeef', 833564499],
  ['0001fe7f80', -1283521233],
  ['f0f1f2f3f4f5', 1531501395],
  ['e282ac2d6b6579', -415661166],
  ['8081828384858687', -1608452407],
  ['fffefdfcfbfaf9f8f7', -248068958],
]

const JVM_UTF8_KEYS: Array<[string, number]> = [
  ['key-1', 193331640],
  ['order/42', 1289431762],
  ['日本語キー', 1445825182],
  ['emoji😀key', 1714651294],
  ['ÅÄÖ', 826061101],
]

void test('murmur2 matches Kafka Utils.murmur2 on high bytes and UTF-8 keys (JVM-computed)', () => {
  for (const [hex, expected] of JVM_BYTES) assert.equal(murmur2(Buffer.from(hex, 'hex')), expected, hex)
  for (const [key, expected] of JVM_UTF8_KEYS) assert.equal(murmur2(enc(key)), expected, key)
})
