// A topic of the embedded broker: N partition logs, the partitioner, and the consumers to wake when
// records arrive. Keyed records go where Kafka's Java client would put them (murmur2 of the key),
// so data moved between the embedded broker and Kafka keeps its key → partition mapping.

import type { Bytes } from '../core/contract.ts'
import { ConfigError } from '../core/errors.ts'
import { kafkaPartitionForKey } from '../core/murmur2.ts'
import type { PartitionLog } from './partition-log.ts'

/** Something blocked waiting for records of a topic (a consumer's fetch). */
export interface Waker {
  wake(): void
}

export const MAX_PARTITIONS = 10_000

/** Topic names are file names in `file:` mode and part of message ids, hence the narrow alphabet. */
export function validateTopicName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(name) || name === '.' || name === '..') {
    throw new ConfigError(
      `invalid topic name ${JSON.stringify(name)}: use 1-200 characters of letters, digits, '.', '_' and '-'`,
    )
  }
  return name
}

export function validatePartitionCount(partitions: unknown): number {
  if (
    !Number.isInteger(partitions) ||
    (partitions as number) < 1 ||
    (partitions as number) > MAX_PARTITIONS
  ) {
    throw new ConfigError(
      `partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${String(partitions)}`,
    )
  }
  return partitions as number
}

export class Topic {
  readonly name: string
  readonly partitions: readonly PartitionLog[]
  readonly createdAt: number
  readonly subscribers = new Set<Waker>()
  private roundRobin = 0

  constructor(name: string, partitions: readonly PartitionLog[], createdAt: number) {
    this.name = name
    this.partitions = partitions
    this.createdAt = createdAt
  }

  /** The partition for a record: explicit, by key hash, or the next one in turn. */
  partitionFor(key: Bytes | null, explicit: number | undefined): number {
    const count = this.partitions.length
    if (explicit !== undefined) {
      if (explicit >= count) {
        throw new ConfigError(
          `topic "${this.name}" has ${count} partitions; partition ${explicit} does not exist`,
        )
      }
      return explicit
    }
    if (key !== null) return kafkaPartitionForKey(key, count)
    const partition = this.roundRobin
    this.roundRobin = partition + 1 === count ? 0 : partition + 1
    return partition
  }

  wakeSubscribers(): void {
    for (const waker of this.subscribers) waker.wake()
  }
}
