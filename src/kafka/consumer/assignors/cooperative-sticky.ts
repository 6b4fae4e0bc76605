// CooperativeStickyAssignor ("cooperative-sticky"), the incremental rebalance protocol (KIP-429).
//
// 1. Sticky: every partition a member still owns (and may own: the topic exists, the member still
//    subscribes, nobody with a newer generation claims it) stays with it.
// 2. Unowned partitions go, one by one, to the eligible member with the fewest partitions.
// 3. Balanced: while some member has two or more partitions more than an eligible member, one
//    partition moves from the former to the latter. Each move lowers the sum of squared loads,
//    so the loop ends; only the surplus moves, so the result stays as sticky as balance allows.
// 4. Cooperative: a partition moving from one live member to another is left out of this round.
//    Its old owner sees it missing from its assignment, revokes it (stops fetching, commits) and
//    rejoins; the follow-up rebalance hands it to the new owner. Partitions that do not move are
//    never revoked, so they keep flowing through the rebalance — the point of the protocol.

import type { Assignment, Assignor, AssignorMember } from './types.ts'
import { addPartition, compareMembers, emptyAssignment, sortAssignment } from './types.ts'

type TP = string // `${topic}\0${partition}`
const tpKey = (topic: string, partition: number): TP => `${topic}\0${partition}`
const tpParts = (tp: TP): [string, number] => {
  const i = tp.lastIndexOf('\0')
  return [tp.slice(0, i), Number(tp.slice(i + 1))]
}

export interface StickyPlan {
  /** Balanced, sticky target: where every partition should end up. */
  target: Map<string, TP[]>
  /** The assignment to send in this round, without partitions that must first be revoked. */
  assignment: Assignment
}

export function planCooperativeSticky(
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): StickyPlan {
  const ordered = [...members].sort(compareMembers)
  const subscribes = (m: AssignorMember, topic: string) => m.topics.includes(topic)
  const byId = new Map(ordered.map((m) => [m.memberId, m]))

  // Step 1: settle claims. The highest generation wins a partition claimed twice (a member that
  // missed a rebalance still reports what it owned in an older generation).
  const claimant = new Map<TP, { memberId: string; generation: number }>()
  const previousOwner = new Map<TP, string>()
  for (const m of ordered) {
    for (const { topic, partitions } of m.ownedPartitions) {
      for (const p of partitions) {
        const tp = tpKey(topic, p)
        const prev = previousOwner.get(tp)
        const prevGen = prev === undefined ? -Infinity : byId.get(prev)!.generationId
        if (prev === undefined || m.generationId > prevGen) previousOwner.set(tp, m.memberId)
        const count = partitionsPerTopic.get(topic)
        if (count === undefined || p < 0 || p >= count || !subscribes(m, topic)) continue
        const current = claimant.get(tp)
        if (!current || m.generationId > current.generation) {
          claimant.set(tp, { memberId: m.memberId, generation: m.generationId })
        }
      }
    }
  }

  const load = new Map<string, TP[]>(ordered.map((m) => [m.memberId, []]))
  const owner = new Map<TP, string>()
  for (const [tp, { memberId }] of claimant) {
    load.get(memberId)!.push(tp)
    owner.set(tp, memberId)
  }

  // Step 2: unowned partitions to the least-loaded eligible member.
  const topics = [...partitionsPerTopic.keys()].sort()
  for (const topic of topics) {
    const eligible = ordered.filter((m) => subscribes(m, topic))
    if (eligible.length === 0) continue
    for (let p = 0; p < partitionsPerTopic.get(topic)!; p++) {
      const tp = tpKey(topic, p)
      if (owner.has(tp)) continue
      let best = eligible[0]!
      for (const m of eligible) if (load.get(m.memberId)!.length < load.get(best.memberId)!.length) best = m
      load.get(best.memberId)!.push(tp)
      owner.set(tp, best.memberId)
    }
  }

  // Step 3: move surplus from the most loaded to the least loaded eligible member.
  for (let moved = true; moved;) {
    moved = false
    const heaviest = [...ordered].sort((a, b) => load.get(b.memberId)!.length - load.get(a.memberId)!.length)
    outer: for (const from of heaviest) {
      const fromList = load.get(from.memberId)!
      // Prefer moving the partitions taken most recently (end of list): the sticky ones stay.
      for (let i = fromList.length - 1; i >= 0; i--) {
        const tp = fromList[i]!
        const [topic] = tpParts(tp)
        let to: AssignorMember | undefined
        for (const m of ordered) {
          if (m === from || !subscribes(m, topic)) continue
          if (load.get(m.memberId)!.length < fromList.length - 1) {
            if (!to || load.get(m.memberId)!.length < load.get(to.memberId)!.length) to = m
          }
        }
        if (to) {
          fromList.splice(i, 1)
          load.get(to.memberId)!.push(tp)
          owner.set(tp, to.memberId)
          moved = true
          break outer
        }
      }
    }
  }

  // Step 4: withhold partitions that a different live member still owns.
  const assignment = emptyAssignment(members)
  for (const [memberId, tps] of load) {
    for (const tp of tps) {
      const prev = previousOwner.get(tp)
      if (prev !== undefined && prev !== memberId) continue
      const [topic, p] = tpParts(tp)
      addPartition(assignment, memberId, topic, p)
    }
  }
  return { target: load, assignment: sortAssignment(assignment) }
}

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  rebalance: 'cooperative',
  assign(members, partitionsPerTopic) {
    return planCooperativeSticky(members, partitionsPerTopic).assignment
  },
}
