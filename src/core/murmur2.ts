// Kafka's default partitioner hashes record keys with MurmurHash2 exactly as the Java client's
// `Utils.murmur2` does (seed 0x9747b28c, little-endian 4-byte blocks, a signed 32-bit result).
// Any deviation sends keyed records to a different partition than every Java/librdkafka producer,
// which breaks per-key ordering across clients — so the arithmetic mirrors the Java definition.

import { ConfigError } from './errors.ts'

const SEED = 0x9747b28c
const M = 0x5bd1e995
const R = 24

/** MurmurHash2 as Kafka's Java `Utils.murmur2`: a signed 32-bit integer (Java `int`). */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length
  const blocksEnd = length & ~3
  for (let i = 0; i < blocksEnd; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> R
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  // The 1–3 tail bytes, as the Java switch that falls through from case 3 to case 1.
  const tail = length & 3
  if (tail > 0) {
    if (tail === 3) h ^= data[blocksEnd + 2]! << 16
    if (tail >= 2) h ^= data[blocksEnd + 1]! << 8
    h ^= data[blocksEnd]!
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/**
 * The partition Kafka's Java producer picks for a non-null key: `toPositive(murmur2(key)) % n`,
 * where toPositive clears the sign bit (it is not Math.abs — that would differ for negative hashes).
 */
export function kafkaPartitionForKey(key: Uint8Array, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions <= 0) {
    throw new ConfigError(`partition count must be a positive integer, got ${String(partitions)}`)
  }
  return (murmur2(key) & 0x7fffffff) % partitions
}
