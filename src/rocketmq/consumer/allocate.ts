// Clustering rebalance: which queues this member consumes. Every member computes the same answer
// from the same inputs — the queue list sorted by broker name and queue id, the member ids sorted
// — so no coordinator is needed (AllocateMessageQueueAveragely, the Java default). The first
// `queues % members` members get one queue more; each member gets one contiguous range.

import type { MessageQueue } from '../protocol/route.ts'

export function allocateAveragely(
  queues: readonly MessageQueue[],
  memberIds: readonly string[],
  me: string,
): MessageQueue[] {
  const members = [...memberIds].sort()
  const index = members.indexOf(me)
  if (index < 0 || queues.length === 0) return []
  const n = members.length
  const mod = queues.length % n
  const size =
    queues.length <= n
      ? 1
      : mod > 0 && index < mod
        ? Math.floor(queues.length / n) + 1
        : Math.floor(queues.length / n)
  const start = mod > 0 && index < mod ? index * size : index * size + mod
  const count = Math.min(size, queues.length - start)
  const out: MessageQueue[] = []
  for (let i = 0; i < count; i++) out.push(queues[(start + i) % queues.length]!)
  return out
}
