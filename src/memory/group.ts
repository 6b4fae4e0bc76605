// Consumer groups of the embedded broker: who is in the group, which member owns which partition,
// and each partition's committed position.
//
// Lock/ordering rule: a partition has at most ONE batch in flight per group. Its next records are
// not handed to anyone — not even after a rebalance moved the partition to another member — until
// that batch is acked, nacked, timed out or its consumer closed. This is what gives per-partition
// order and "no second message before the first is acked", and it makes rebalances free of
// duplicates: the new owner simply continues from the committed offset.

import type { StartPosition } from '../core/contract.ts'
import { ConfigError } from '../core/errors.ts'
import type { Topic, Waker } from './topic.ts'

export interface GroupMember extends Waker {
  readonly memberId: string
  readonly topics: readonly string[]
  readonly clientId: string
}

/** The batch (or dead-letter hand-off) currently holding a partition. */
export interface InflightHolder {
  readonly member: GroupMember | null
}

export interface PartitionState {
  readonly topic: Topic
  readonly partition: number
  /** Next offset to deliver; moves when a batch is acked. */
  committed: number
  inflight: InflightHolder | null
  owner: GroupMember | null
  /** Offset → deliveries so far, only for records delivered and not acked; -1 = sent to dead letter. */
  readonly deliveries: Map<number, number>
  /**
   * After a nack: the partition is handed out again no earlier than this (performance.now() ms);
   * 0 = no wait. Kept on the group, not the member, so a rebalance cannot skip the wait.
   */
  redeliverAt: number
}

/** Persists committed offsets (file mode); memory mode keeps them only in the group. */
export type CommitSink = (group: string, topic: string, partition: number, offset: number) => void

export function resolveStart(topic: Topic, partition: number, from: StartPosition | undefined): number {
  const log = topic.partitions[partition]!
  const position = from ?? 'latest'
  if (position === 'earliest') return log.earliest
  if (position === 'latest') return log.next
  if (position instanceof Date) {
    const ms = position.getTime()
    if (!Number.isFinite(ms)) throw new ConfigError('consumer option from: the Date is invalid')
    return log.offsetForTimestamp(ms)
  }
  if (typeof position === 'number' && Number.isSafeInteger(position) && position >= 0) {
    return Math.min(Math.max(position, log.earliest), log.next)
  }
  throw new ConfigError(
    `consumer option from must be 'earliest', 'latest', a non-negative offset or a Date, got ${String(position)}`,
  )
}

export class Group {
  readonly name: string
  /** A consumer without a group gets a private one that is neither listed nor persisted. */
  readonly anonymous: boolean
  readonly members: GroupMember[] = []
  readonly states = new Map<string, PartitionState[]>()
  generation = 0
  private readonly sink: CommitSink | null
  /** Offsets loaded from disk for topics this group has not subscribed to yet in this process. */
  private readonly restored: Map<string, Map<number, number>>

  constructor(
    name: string,
    anonymous: boolean,
    sink: CommitSink | null,
    restored?: Map<string, Map<number, number>>,
  ) {
    this.name = name
    this.anonymous = anonymous
    this.sink = anonymous ? null : sink
    this.restored = restored ?? new Map()
  }

  /** Creates the partition states of a topic the first time a member subscribes to it. */
  ensureTopic(topic: Topic, from: StartPosition | undefined): PartitionState[] {
    let states = this.states.get(topic.name)
    if (states) return states
    const restored = this.restored.get(topic.name)
    states = topic.partitions.map((log, partition) => {
      const saved = restored?.get(partition)
      const committed = saved === undefined ? resolveStart(topic, partition, from) : Math.min(saved, log.next)
      return {
        topic,
        partition,
        committed,
        inflight: null,
        owner: null,
        deliveries: new Map(),
        redeliverAt: 0,
      }
    })
    this.states.set(topic.name, states)
    return states
  }

  /** Forgets a deleted topic. */
  dropTopic(name: string): void {
    this.states.delete(name)
    this.restored.delete(name)
  }

  join(member: GroupMember): void {
    this.members.push(member)
    this.rebalance()
  }

  leave(member: GroupMember): void {
    const index = this.members.indexOf(member)
    if (index < 0) return
    this.members.splice(index, 1)
    this.rebalance()
  }

  /** Spreads each topic's partitions over the members subscribed to it, in join order. */
  private rebalance(): void {
    this.generation++
    for (const [topicName, states] of this.states) {
      const subscribed = this.members.filter((m) => m.topics.includes(topicName))
      for (const state of states) {
        state.owner = subscribed.length === 0 ? null : subscribed[state.partition % subscribed.length]!
      }
    }
    for (const member of this.members) member.wake()
  }

  assignments(member: GroupMember): { topic: string; partition: number }[] {
    const out: { topic: string; partition: number }[] = []
    for (const [topic, states] of this.states) {
      for (const state of states) if (state.owner === member) out.push({ topic, partition: state.partition })
    }
    return out
  }

  /**
   * Moves the committed position. In file mode the sink writes it first and may throw a
   * StorageError (disk full): then nothing here changes, so the caller can hand the records out again.
   */
  commit(state: PartitionState, offset: number): void {
    // An ack never moves a position backwards; only seek does (through setPosition).
    if (offset < state.committed) return
    this.sink?.(this.name, state.topic.name, state.partition, offset)
    state.committed = offset
    for (const delivered of state.deliveries.keys())
      if (delivered < offset) state.deliveries.delete(delivered)
  }

  /** Seek: moves the position, releasing any batch in flight on the partition. */
  setPosition(state: PartitionState, offset: number): void {
    this.sink?.(this.name, state.topic.name, state.partition, offset) // may throw: nothing moved then
    state.inflight = null
    state.committed = offset
    state.deliveries.clear()
    state.redeliverAt = 0
    this.wakeAll()
  }

  wakeAll(): void {
    for (const member of this.members) member.wake()
  }

  /** Committed offsets known for this group, including ones restored from disk. */
  committedOffsets(): { topic: string; partition: number; committed: number }[] {
    const out: { topic: string; partition: number; committed: number }[] = []
    for (const [topic, states] of this.states) {
      for (const s of states) out.push({ topic, partition: s.partition, committed: s.committed })
    }
    for (const [topic, partitions] of this.restored) {
      if (this.states.has(topic)) continue
      for (const [partition, committed] of partitions) out.push({ topic, partition, committed })
    }
    return out
  }
}
