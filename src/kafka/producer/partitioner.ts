// Choosing a partition for a record.
//
// - An explicit `partition` on the message always wins.
// - Keyed records: Java-compatible murmur2 (`toPositive(murmur2(key)) % partitions`), so Java and
//   Node producers writing one topic put the same key on the same partition.
// - Null keys, default: sticky (KIP-480). Spreading single records round-robin makes many tiny
//   batches; sticking to one partition until its batch is sent gives full batches and lower
//   latency. The accumulator calls `onNewBatch` when the sticky partition's batch closes, and the
//   partitioner then moves to another partition (an available one — with a leader — if any).
// - 'round-robin' spreads every record; a function is a custom hook.

import { ConfigError } from '../../core/errors.ts'
import { kafkaPartitionForKey } from '../../core/murmur2.ts'

export interface PartitionContext {
  topic: string
  key: Uint8Array | null
  value: Uint8Array | null
  partitionCount: number
  /** Partitions that currently have a leader; empty when unknown. */
  availablePartitions: readonly number[]
}

export type CustomPartitioner = (context: PartitionContext) => number

export interface Partitioner {
  partition(context: PartitionContext): number
  /** The batch that was filling `partition` of `topic` was closed; sticky moves on. */
  onNewBatch(
    topic: string,
    partition: number,
    partitionCount: number,
    availablePartitions: readonly number[],
  ): void
}

export type PartitionerOption = 'default' | 'sticky' | 'murmur2' | 'round-robin' | CustomPartitioner

function pick(candidates: readonly number[], partitionCount: number, avoid: number | undefined): number {
  const pool = candidates.length > 0 ? candidates : Array.from({ length: partitionCount }, (_, i) => i)
  if (pool.length === 1) return pool[0]!
  for (;;) {
    const p = pool[Math.floor(Math.random() * pool.length)]!
    if (p !== avoid) return p
  }
}

class StickyNullKeyPartitioner implements Partitioner {
  private readonly sticky = new Map<string, number>()

  partition(ctx: PartitionContext): number {
    if (ctx.key !== null) return kafkaPartitionForKey(ctx.key, ctx.partitionCount)
    const current = this.sticky.get(ctx.topic)
    if (current !== undefined && current < ctx.partitionCount) return current
    const chosen = pick(ctx.availablePartitions, ctx.partitionCount, undefined)
    this.sticky.set(ctx.topic, chosen)
    return chosen
  }

  onNewBatch(topic: string, partition: number, partitionCount: number, available: readonly number[]): void {
    // Only move if the batch that closed was the sticky one; a keyed batch closing is irrelevant.
    if (this.sticky.get(topic) !== partition) return
    this.sticky.set(topic, pick(available, partitionCount, partition))
  }
}

class RoundRobinPartitioner implements Partitioner {
  private readonly counters = new Map<string, number>()

  partition(ctx: PartitionContext): number {
    const n = this.counters.get(ctx.topic) ?? Math.floor(Math.random() * ctx.partitionCount)
    this.counters.set(ctx.topic, n + 1)
    const pool = ctx.availablePartitions.length > 0 ? ctx.availablePartitions : null
    return pool ? pool[n % pool.length]! : n % ctx.partitionCount
  }

  onNewBatch(): void {}
}

class CustomHookPartitioner implements Partitioner {
  private readonly hook: CustomPartitioner
  constructor(hook: CustomPartitioner) {
    this.hook = hook
  }

  partition(ctx: PartitionContext): number {
    const p = this.hook(ctx)
    if (!Number.isInteger(p) || p < 0 || p >= ctx.partitionCount) {
      throw new ConfigError(
        `custom partitioner returned ${String(p)} for topic "${ctx.topic}" with ${ctx.partitionCount} partitions`,
      )
    }
    return p
  }

  onNewBatch(): void {}
}

/** Partition for an explicit message partition, checked against the topic's partition count. */
export function explicitPartition(topic: string, partition: number, partitionCount: number): number {
  if (partition >= partitionCount) {
    throw new ConfigError(
      `partition ${partition} does not exist: topic "${topic}" has ${partitionCount} partitions`,
    )
  }
  return partition
}

export function createPartitioner(option: PartitionerOption = 'default'): Partitioner {
  if (typeof option === 'function') return new CustomHookPartitioner(option)
  switch (option) {
    case 'default':
    case 'sticky':
    case 'murmur2':
      return new StickyNullKeyPartitioner()
    case 'round-robin':
      return new RoundRobinPartitioner()
    default:
      throw new ConfigError(
        `unknown partitioner "${String(option)}": use 'default', 'round-robin' or a function (context) => partition`,
      )
  }
}
