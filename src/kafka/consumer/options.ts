// Consumer settings: defaults and validation (ConfigError at construction, not later).

import { ConfigError } from '../../core/errors.ts'
import type { Assignor } from './assignors/types.ts'

export type ResetPolicy = 'earliest' | 'latest' | 'none'

export interface KafkaConsumerConfig {
  /** Consumer group; without it the consumer reads assigned partitions with no commits. */
  groupId?: string
  /** Static membership (KIP-345): a restart within sessionTimeoutMs keeps the assignment. */
  groupInstanceId?: string
  /** Where to start when there is no committed offset, or the offset is out of range. */
  autoOffsetReset?: ResetPolicy
  /** Longest the broker holds a fetch waiting for minBytes. Default 500 ms. */
  maxWaitMs?: number
  minBytes?: number
  /** Largest fetch response. Default 50 MiB. */
  maxBytes?: number
  /** Largest data per partition per fetch. Default 1 MiB. */
  partitionMaxBytes?: number
  /** Fetched but not yet consumed bytes, over all partitions, before fetching pauses. Default 32 MiB. */
  maxPrefetchBytes?: number
  /** Most messages in one delivered batch. Default 500. */
  maxBatch?: number
  isolationLevel?: 'read_uncommitted' | 'read_committed'
  sessionTimeoutMs?: number
  rebalanceTimeoutMs?: number
  heartbeatIntervalMs?: number
  /** Assignors in preference order. Default ['cooperative-sticky']. */
  assignors?: readonly (string | Assignor)[]
  autoCommit?: boolean
  autoCommitIntervalMs?: number
  /** Longest a rebalance listener may take before the rebalance goes on without it. Default 10 s. */
  rebalanceListenerTimeoutMs?: number
  /**
   * Before partitions are given up in a rebalance, how long to wait for batches of theirs that
   * the application holds (delivered, neither acked nor nacked) so their acks are committed and
   * the next owner does not process them again. Default 3000; 0 gives them up at once.
   */
  revokeWaitMs?: number
  /**
   * How long subscribe() waits for the first join (coordinator found, JoinGroup and SyncGroup
   * done) before it rejects with TimeoutError. The member keeps trying in the background: a
   * consumer that is kept (not closed) starts reading once the group answers. Default 60 000.
   */
  joinTimeoutMs?: number
  requestTimeoutMs?: number
  /** Largest decompressed size of one record batch (zip-bomb guard). Default 64 MiB. */
  maxDecompressedBytes?: number
  /**
   * Verify the CRC-32C of every fetched record batch (Java's check.crcs). Default true. Off, a
   * batch damaged between the broker's disk and this process goes undetected (TCP's checksum
   * still guards the wire), and the consumer spends no CPU on it — the largest cost per fetched
   * byte.
   */
  checkCrcs?: boolean
  /**
   * Start position for partitions without a committed offset, instead of autoOffsetReset: an
   * offset (clamped to what the partition holds) or the first record at or after a timestamp.
   */
  startAt?: { offset?: number; timestamp?: number }
  /**
   * Hand out a partition's next batch only after its previous one was acked or nacked (the
   * common contract's ordering rule: a nack then redelivers before anything later). Default false.
   */
  oneBatchPerPartition?: boolean
}

export interface ResolvedConsumerConfig {
  groupId: string | undefined
  groupInstanceId: string | undefined
  autoOffsetReset: ResetPolicy
  maxWaitMs: number
  minBytes: number
  maxBytes: number
  partitionMaxBytes: number
  maxPrefetchBytes: number
  maxBatch: number
  isolationLevel: 0 | 1
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  heartbeatIntervalMs: number
  assignors: readonly (string | Assignor)[] | undefined
  autoCommit: boolean
  autoCommitIntervalMs: number
  rebalanceListenerTimeoutMs: number
  revokeWaitMs: number
  joinTimeoutMs: number
  requestTimeoutMs: number
  maxDecompressedBytes: number
  checkCrcs: boolean
  startAt: { offset?: number; timestamp?: number } | undefined
  oneBatchPerPartition: boolean
}

function int(name: string, value: unknown, fallback: number, min: number, max = 2 ** 31 - 1): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `consumer option ${name} must be an integer between ${min} and ${max}, got ${String(value)}`,
    )
  }
  return value
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new ConfigError(`consumer option ${name} must be a boolean`)
  return value
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '')
    throw new ConfigError(`consumer option ${name} must be a non-empty string`)
  return value
}

export function resolveConsumerConfig(c: KafkaConsumerConfig = {}): ResolvedConsumerConfig {
  if (c === null || typeof c !== 'object') throw new ConfigError('consumer options must be an object')
  const reset = c.autoOffsetReset ?? 'latest'
  if (!['earliest', 'latest', 'none'].includes(reset)) {
    throw new ConfigError(
      `consumer option autoOffsetReset must be earliest, latest or none, got ${String(reset)}`,
    )
  }
  const iso = c.isolationLevel ?? 'read_committed'
  if (iso !== 'read_committed' && iso !== 'read_uncommitted') {
    throw new ConfigError(`consumer option isolationLevel must be read_committed or read_uncommitted`)
  }
  const sessionTimeoutMs = int('sessionTimeoutMs', c.sessionTimeoutMs, 45_000, 1000)
  const heartbeatIntervalMs = int(
    'heartbeatIntervalMs',
    c.heartbeatIntervalMs,
    Math.min(1000, Math.floor(sessionTimeoutMs / 3)),
    100,
  )
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new ConfigError('consumer option heartbeatIntervalMs must be lower than sessionTimeoutMs')
  }
  const maxBytes = int('maxBytes', c.maxBytes, 50 * 1024 * 1024, 1024)
  return {
    groupId: optionalString('groupId', c.groupId),
    groupInstanceId: optionalString('groupInstanceId', c.groupInstanceId),
    autoOffsetReset: reset,
    maxWaitMs: int('maxWaitMs', c.maxWaitMs, 500, 0, 300_000),
    minBytes: int('minBytes', c.minBytes, 1, 0),
    maxBytes,
    partitionMaxBytes: int('partitionMaxBytes', c.partitionMaxBytes, 1024 * 1024, 1024),
    maxPrefetchBytes: int(
      'maxPrefetchBytes',
      c.maxPrefetchBytes,
      32 * 1024 * 1024,
      1024,
      Number.MAX_SAFE_INTEGER,
    ),
    maxBatch: int('maxBatch', c.maxBatch, 500, 1),
    isolationLevel: iso === 'read_committed' ? 1 : 0,
    sessionTimeoutMs,
    rebalanceTimeoutMs: int('rebalanceTimeoutMs', c.rebalanceTimeoutMs, 60_000, 1000),
    heartbeatIntervalMs,
    assignors: c.assignors,
    autoCommit: c.autoCommit ?? true,
    autoCommitIntervalMs: int('autoCommitIntervalMs', c.autoCommitIntervalMs, 5000, 1),
    rebalanceListenerTimeoutMs: int('rebalanceListenerTimeoutMs', c.rebalanceListenerTimeoutMs, 10_000, 1),
    revokeWaitMs: int('revokeWaitMs', c.revokeWaitMs, 3000, 0),
    joinTimeoutMs: int('joinTimeoutMs', c.joinTimeoutMs, 60_000, 1),
    requestTimeoutMs: int('requestTimeoutMs', c.requestTimeoutMs, 30_000, 1),
    maxDecompressedBytes: int(
      'maxDecompressedBytes',
      c.maxDecompressedBytes,
      64 * 1024 * 1024,
      1024,
      Number.MAX_SAFE_INTEGER,
    ),
    checkCrcs: bool('checkCrcs', c.checkCrcs, true),
    startAt: resolveStartAt(c.startAt),
    oneBatchPerPartition: c.oneBatchPerPartition ?? false,
  }
}

function resolveStartAt(s: KafkaConsumerConfig['startAt']): ResolvedConsumerConfig['startAt'] {
  if (s === undefined) return undefined
  if (s === null || typeof s !== 'object')
    throw new ConfigError('consumer option startAt must be { offset } or { timestamp }')
  if (s.offset !== undefined && (!Number.isSafeInteger(s.offset) || s.offset < 0)) {
    throw new ConfigError('consumer option startAt.offset must be a non-negative integer')
  }
  if (s.timestamp !== undefined && (!Number.isSafeInteger(s.timestamp) || s.timestamp < 0)) {
    throw new ConfigError('consumer option startAt.timestamp must be a non-negative integer (ms)')
  }
  if ((s.offset === undefined) === (s.timestamp === undefined)) {
    throw new ConfigError('consumer option startAt needs exactly one of offset and timestamp')
  }
  return { ...s }
}
