// Which queue a message goes to. Round-robin spreads unkeyed messages; hashing a sharding key
// keeps every message of one key in one queue, which is what ordered messages need; a custom
// selector gets the full queue list. On a retry the round-robin skips the broker that failed.

import { javaStringHashCode } from '../../core/murmur3.ts'
import type { MessageQueue } from '../protocol/route.ts'

export type QueueSelector = (
  queues: readonly MessageQueue[],
  message: { shardingKey?: string },
) => MessageQueue

export class RoundRobin {
  #next = Math.floor(Math.random() * 1024)

  select(queues: readonly MessageQueue[], avoidBroker?: string): MessageQueue {
    for (let i = 0; i < queues.length; i++) {
      const q = queues[this.#next++ % queues.length]!
      if (avoidBroker === undefined || q.brokerName !== avoidBroker) return q
    }
    return queues[this.#next++ % queues.length]!
  }
}

/** Java's SelectMessageQueueByHash: |hashCode(key) % queue count|, so Java and Conduit agree. */
export function selectByHash(queues: readonly MessageQueue[], key: string): MessageQueue {
  return queues[Math.abs(javaStringHashCode(key) % queues.length)]!
}
