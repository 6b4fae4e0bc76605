// Partition routing for partitioned topics, as the Java client does it: keyed messages go to
// hash(key) % partitions (murmur3_32 by default, or Java String.hashCode); unkeyed messages go
// round-robin (switching partition per batch window when batching, to keep batches full), to a
// single partition chosen once, or to a custom router.

import { javaStringHashCode, murmur3_32 } from '../../core/murmur3.ts'
import { ConfigError } from '../../core/errors.ts'
import type { PreparedMessage } from './message-builder.ts'

export type RoutingMode = 'round-robin' | 'single-partition' | 'custom'
export type HashingScheme = 'murmur3_32' | 'java-string'

export interface RoutingOptions {
  routingMode?: RoutingMode
  hashingScheme?: HashingScheme
  /** For routingMode 'custom': picks the partition of a message. */
  router?: (message: { key?: string; partitionKey?: string }, partitions: number) => number
}

export class Router {
  readonly #opts: RoutingOptions
  #next: number
  readonly #single: number

  constructor(opts: RoutingOptions) {
    this.#opts = opts
    if (opts.routingMode === 'custom' && typeof opts.router !== 'function')
      throw new ConfigError("routingMode 'custom' needs a router function")
    this.#next = Math.floor(Math.random() * 1024)
    this.#single = Math.floor(Math.random() * 1024)
  }

  /** Java's `signSafeMod(hash, n)` after masking the hash to a positive int. */
  static keyHash(key: string, scheme: HashingScheme = 'murmur3_32'): number {
    if (scheme === 'java-string') {
      const h = javaStringHashCode(key)
      return h & 0x7fffffff
    }
    return murmur3_32(new TextEncoder().encode(key)) & 0x7fffffff
  }

  choose(message: PreparedMessage, partitions: number): number {
    if (message.partition !== undefined) {
      if (message.partition >= partitions)
        throw new ConfigError(`partition ${message.partition} does not exist (topic has ${partitions})`)
      return message.partition
    }
    const mode = this.#opts.routingMode ?? 'round-robin'
    if (mode === 'custom') {
      const p = this.#opts.router!(
        { key: message.partitionKey, partitionKey: message.partitionKey },
        partitions,
      )
      if (!Number.isInteger(p) || p < 0 || p >= partitions)
        throw new ConfigError(`custom router returned invalid partition ${String(p)}`)
      return p
    }
    const key = message.partitionKey
    if (key !== undefined) return Router.keyHash(key, this.#opts.hashingScheme) % partitions
    if (mode === 'single-partition') return this.#single % partitions
    return this.#next++ % partitions
  }
}
