// RangeAssignor ("range"): per topic, the members subscribed to it, in order, each take a
// contiguous range; the first `partitions % members` take one extra. Same result as Java's.

import type { Assignment, Assignor, AssignorMember } from './types.ts'
import { addPartition, compareMembers, emptyAssignment, sortAssignment } from './types.ts'

export const rangeAssignor: Assignor = {
  name: 'range',
  rebalance: 'eager',
  assign(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): Assignment {
    const out = emptyAssignment(members)
    const sorted = [...members].sort(compareMembers)
    for (const [topic, count] of [...partitionsPerTopic].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const subscribers = sorted.filter((m) => m.topics.includes(topic))
      if (subscribers.length === 0) continue
      const base = Math.floor(count / subscribers.length)
      const extra = count % subscribers.length
      let next = 0
      subscribers.forEach((m, i) => {
        const take = base + (i < extra ? 1 : 0)
        for (let k = 0; k < take; k++) addPartition(out, m.memberId, topic, next++)
      })
    }
    return sortAssignment(out)
  },
}
