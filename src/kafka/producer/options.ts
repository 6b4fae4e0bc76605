// Producer settings: defaults, and validation that turns a wrong value into a ConfigError at
// construction instead of a strange failure later.

import { ConfigError } from '../../core/errors.ts'
import type { PartitionerOption } from './partitioner.ts'

export type Acks = 0 | 1 | -1
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/** Record-batch attribute codes of each codec (low 3 bits of the batch attributes). */
export const COMPRESSION_CODES: Record<CompressionName, number> = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
}

export interface KafkaProducerConfig {
  /** 0: fire and forget; 1: leader wrote it; 'all'/-1: every in-sync replica has it. Default 'all'. */
  acks?: 0 | 1 | -1 | 'all'
  /** Exactly-once per partition across retries (KIP-98). Default true; requires acks 'all'. */
  idempotent?: boolean
  compression?: CompressionName
  /**
   * How long a partition's batch waits for more records before it is sent. Default 0: a record
   * goes out as soon as its partition has no request in flight, and records arriving while one is
   * in flight batch up behind it — low latency when idle, full batches under load.
   */
  lingerMs?: number
  /**
   * A batch is sent once it holds this many bytes. Default 256 KiB: a partition has one batch in
   * flight at a time (that is what keeps retries in order), so under load each round trip should
   * carry a lot. Must stay below the broker's message.max.bytes (1 MiB by default).
   */
  batchSize?: number
  /** Largest Produce request (all batches to one broker). Default 1 MiB. */
  maxRequestSize?: number
  /** Bytes of records buffered or in flight before send waits. Default 32 MiB. */
  bufferMemory?: number
  /** Records buffered or in flight before send waits (the contract's bufferSize). Default 1 000 000. */
  maxBufferedRecords?: number
  /** How long send waits for buffer space; 0 fails at once with BufferFullError. Default 60 s. */
  maxBlockMs?: number
  /** Time from send until a record fails if it is still not acknowledged. Default 120 s. */
  deliveryTimeoutMs?: number
  requestTimeoutMs?: number
  retryBackoffMs?: number
  retryBackoffMaxMs?: number
  partitioner?: PartitionerOption
  /**
   * Batches of one partition in flight at once when idempotent (1 to 5; the broker remembers the
   * last 5 batches per producer and partition to drop retried duplicates). Default 5. Without
   * idempotence a partition always has 1 in flight, which is what keeps retries in order.
   */
  maxInFlightPerPartition?: number
}

export interface ResolvedProducerConfig {
  acks: Acks
  idempotent: boolean
  compression: CompressionName
  lingerMs: number
  batchSize: number
  maxRequestSize: number
  bufferMemory: number
  maxBufferedRecords: number
  maxBlockMs: number
  deliveryTimeoutMs: number
  requestTimeoutMs: number
  retryBackoffMs: number
  retryBackoffMaxMs: number
  partitioner: PartitionerOption
  maxInFlightPerPartition: number
}

function int(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback
  if (
    typeof value !== 'number' ||
    !(Number.isInteger(value) || value === Infinity) ||
    value < min ||
    value > max
  ) {
    throw new ConfigError(
      `producer option ${name} must be an integer between ${min} and ${max}, got ${String(value)}`,
    )
  }
  return value
}

export function resolveProducerConfig(config: KafkaProducerConfig = {}): ResolvedProducerConfig {
  if (config === null || typeof config !== 'object')
    throw new ConfigError('producer options must be an object')
  let acks: Acks
  if (config.acks === undefined || config.acks === 'all' || config.acks === -1) acks = -1
  else if (config.acks === 0 || config.acks === 1) acks = config.acks
  else throw new ConfigError(`producer option acks must be 0, 1, -1 or 'all', got ${String(config.acks)}`)

  if (config.idempotent !== undefined && typeof config.idempotent !== 'boolean') {
    throw new ConfigError('producer option idempotent must be a boolean')
  }
  if (config.idempotent === true && acks !== -1) {
    throw new ConfigError(
      "an idempotent producer needs acks 'all' (set idempotent: false to use acks 0 or 1)",
    )
  }
  const idempotent = config.idempotent ?? acks === -1

  const compression = config.compression ?? 'none'
  if (!(compression in COMPRESSION_CODES)) {
    throw new ConfigError(
      `producer option compression must be one of ${Object.keys(COMPRESSION_CODES).join(', ')}`,
    )
  }
  const maxRequestSize = int('maxRequestSize', config.maxRequestSize, 1024 * 1024, 1024, 2 ** 30)
  const bufferMemory = int('bufferMemory', config.bufferMemory, 32 * 1024 * 1024, 1024)
  if (bufferMemory < maxRequestSize) {
    throw new ConfigError(
      `producer option bufferMemory (${bufferMemory}) must be at least maxRequestSize (${maxRequestSize})`,
    )
  }
  const retryBackoffMs = int('retryBackoffMs', config.retryBackoffMs, 100, 0, 60_000)
  const resolved: ResolvedProducerConfig = {
    acks,
    idempotent,
    compression,
    lingerMs: int('lingerMs', config.lingerMs, 0, 0, 60_000),
    batchSize: int('batchSize', config.batchSize, 256 * 1024, 1, 2 ** 30),
    maxRequestSize,
    bufferMemory,
    maxBufferedRecords: int('maxBufferedRecords', config.maxBufferedRecords, 1_000_000, 1),
    maxBlockMs: int('maxBlockMs', config.maxBlockMs, 60_000, 0),
    deliveryTimeoutMs: int('deliveryTimeoutMs', config.deliveryTimeoutMs, 120_000, 1),
    requestTimeoutMs: int('requestTimeoutMs', config.requestTimeoutMs, 30_000, 1),
    retryBackoffMs,
    retryBackoffMaxMs: int('retryBackoffMaxMs', config.retryBackoffMaxMs, 1000, retryBackoffMs),
    partitioner: config.partitioner ?? 'default',
    maxInFlightPerPartition: int('maxInFlightPerPartition', config.maxInFlightPerPartition, 5, 1, 5),
  }
  return resolved
}
