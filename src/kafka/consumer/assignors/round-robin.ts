// RoundRobinAssignor ("roundrobin"): every topic-partition, sorted by topic then partition, goes to
// the next member in circular order that subscribes to its topic. Same result as Java's.

import type { Assignment, Assignor, AssignorMember } from './types.ts'
import { addPartition, compareMembers, emptyAssignment, sortAssignment } from './types.ts'

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  rebalance: 'eager',
  assign(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): Assignment {
    const out = emptyAssignment(members)
    const ring = [...members].sort(compareMembers)
    if (ring.length === 0) return out
    let cursor = 0
    for (const [topic, count] of [...partitionsPerTopic].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!ring.some((m) => m.topics.includes(topic))) continue
      for (let p = 0; p < count; p++) {
        while (!ring[cursor % ring.length]!.topics.includes(topic)) cursor++
        addPartition(out, ring[cursor % ring.length]!.memberId, topic, p)
        cursor++
      }
    }
    return sortAssignment(out)
  },
}
