import type {
  Assignment,
  AssignorMember,
  TopicPartitions,
} from '../../../../src/kafka/consumer/assignors/types.ts'

export function member(
  memberId: string,
  topics: string[],
  owned: TopicPartitions[] = [],
  generationId = 1,
  groupInstanceId: string | null = null,
): AssignorMember {
  return { memberId, groupInstanceId, topics, ownedPartitions: owned, generationId }
}

/** memberId → ["t-0", "t-1", …] for readable assertions. */
export function flat(a: Assignment): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [m, topics] of a) {
    out[m] = []
    for (const [t, ps] of [...topics].sort()) for (const p of ps) out[m].push(`${t}-${p}`)
  }
  return out
}

export function owned(a: Assignment, memberId: string): TopicPartitions[] {
  return [...(a.get(memberId) ?? new Map<string, number[]>())].map(([topic, partitions]) => ({
    topic,
    partitions,
  }))
}
