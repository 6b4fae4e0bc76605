// What a classic-protocol group leader needs to compute an assignment. Assignors are pure
// functions so they are unit-tested without a broker; group.ts feeds them the members' decoded
// subscriptions from JoinGroup and encodes the result for SyncGroup.

export interface TopicPartitions {
  topic: string
  partitions: number[]
}

export interface AssignorMember {
  memberId: string
  /** Static membership id; ordering uses it so a restarted static member gets the same share. */
  groupInstanceId: string | null
  topics: readonly string[]
  /** Partitions the member currently owns (subscription v1+), for sticky assignors. */
  ownedPartitions: readonly TopicPartitions[]
  /** Generation in which it owned them (subscription v2+); -1 when unknown. */
  generationId: number
}

/** memberId → topic → sorted partitions. Every member of the input appears, possibly empty. */
export type Assignment = Map<string, Map<string, number[]>>

export interface Assignor {
  /** Protocol name sent in JoinGroup, identical to the Java client's so mixed groups agree. */
  readonly name: string
  /** 'eager' revokes everything before a rebalance; 'cooperative' only what moves. */
  readonly rebalance: 'eager' | 'cooperative'
  assign(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): Assignment
}

export function emptyAssignment(members: readonly AssignorMember[]): Assignment {
  return new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]))
}

export function addPartition(
  assignment: Assignment,
  memberId: string,
  topic: string,
  partition: number,
): void {
  const topics = assignment.get(memberId)!
  let list = topics.get(topic)
  if (!list) topics.set(topic, (list = []))
  list.push(partition)
}

export function sortAssignment(assignment: Assignment): Assignment {
  for (const topics of assignment.values()) for (const list of topics.values()) list.sort((a, b) => a - b)
  return assignment
}

/** Java orders members by group.instance.id when present, then by member id. */
export function compareMembers(a: AssignorMember, b: AssignorMember): number {
  const ka = a.groupInstanceId ?? a.memberId
  const kb = b.groupInstanceId ?? b.memberId
  return ka < kb ? -1 : ka > kb ? 1 : a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0
}
