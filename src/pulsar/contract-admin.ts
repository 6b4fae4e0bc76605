// The common contract's Admin on Pulsar's admin REST API (src/pulsar/admin.ts): topics (partitioned or
// not), subscriptions as groups, backlog as lag. Shared by the binary driver and the WebSocket driver,
// which reach the same web service; each passes how it resolves a topic name and how it learns a
// topic's partition count (the binary driver asks the broker over its connection, the WebSocket driver
// asks the REST API).

import type {
  Admin,
  CreateTopicOptions,
  GroupDescription,
  PartitionEnd,
  TopicDescription,
} from '../core/contract.ts'
import { ConfigError } from '../core/errors.ts'
import type { PulsarAdmin } from './admin.ts'
import { MessageId } from './protocol/message-id.ts'
import { parseTopicName } from './topic-name.ts'

export interface ContractAdminTopics {
  /** The fully qualified name (`persistent://tenant/ns/topic`) of a name as the user wrote it. */
  resolve(name: string): string
  /** The number of partitions of a fully qualified topic, 0 for a non-partitioned topic. */
  partitions(full: string): Promise<number>
}

export class PulsarContractAdmin implements Admin {
  readonly #admin: PulsarAdmin
  readonly #topics: ContractAdminTopics

  constructor(admin: PulsarAdmin, topics: ContractAdminTopics) {
    this.#admin = admin
    this.#topics = topics
  }

  async createTopic(name: string, options: CreateTopicOptions = {}): Promise<void> {
    const full = this.#topics.resolve(name)
    const { partitions } = options
    if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 1))
      throw new ConfigError('partitions must be a positive integer')
    if (partitions !== undefined && partitions > 1) await this.#admin.createPartitionedTopic(full, partitions)
    else await this.#admin.createTopic(full)
  }

  async deleteTopic(name: string): Promise<void> {
    const full = this.#topics.resolve(name)
    if ((await this.#topics.partitions(full)) > 0)
      await this.#admin.deletePartitionedTopic(full, { force: true })
    else await this.#admin.deleteTopic(full, { force: true })
  }

  async listTopics(): Promise<string[]> {
    const topics = new Set<string>()
    for (const tenant of await this.#admin.listTenants()) {
      for (const ns of await this.#admin.listNamespaces(tenant)) {
        for (const t of await this.#admin.listTopics(ns)) topics.add(parseTopicName(t).partitionedTopic)
        for (const t of await this.#admin.listPartitionedTopics(ns)) topics.add(t)
      }
    }
    return [...topics].sort()
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    const full = this.#topics.resolve(name)
    const partitions = await this.#topics.partitions(full)
    if (partitions === 0) {
      await this.#admin.topicStats(full) // 404 for a topic that does not exist
      return { name: full, partitions: [{ partition: 0 }] }
    }
    return { name: full, partitions: Array.from({ length: partitions }, (_, i) => ({ partition: i })) }
  }

  /**
   * Pulsar has no offsets: a partition ends at its last message id, which the admin API reports
   * with the batch index, so a message is at the end when its (ledger, entry, batch index) is
   * not lower. Both the binary and the WebSocket driver deliver ids as `ledger:entry:p:batch`.
   */
  async partitionEnds(topic: string): Promise<PartitionEnd[]> {
    const full = this.#topics.resolve(topic)
    const partitions = await this.#topics.partitions(full)
    const names =
      partitions === 0
        ? [[full, 0] as const]
        : Array.from({ length: partitions }, (_, i) => [`${full}-partition-${i}`, i] as const)
    return Promise.all(
      names.map(async ([physical, partition]) => {
        const last = await this.#admin.lastMessageId(physical)
        const end = new MessageId(BigInt(last.ledgerId), BigInt(last.entryId), -1, last.batchIndex ?? -1)
        return {
          partition,
          // A ledger with no entry yet: nothing was written since the topic (re)loaded it.
          empty: last.entryId < 0,
          reached: (message) => MessageId.parse(message.id).compare(end) >= 0,
        } satisfies PartitionEnd
      }),
    )
  }

  async listGroups(): Promise<string[]> {
    const groups = new Set<string>()
    for (const topic of await this.listTopics()) {
      try {
        for (const s of await this.#admin.listSubscriptions(topic)) groups.add(s)
      } catch {
        // a topic deleted between the two calls (brokers are shared)
      }
    }
    return [...groups].sort()
  }

  async describeGroup(group: string): Promise<GroupDescription> {
    const offsets: GroupDescription['offsets'] = []
    const members: GroupDescription['members'] = []
    for (const topic of await this.listTopics()) {
      let partitions: number
      try {
        partitions = await this.#topics.partitions(topic)
      } catch {
        continue // deleted since it was listed
      }
      const names =
        partitions === 0
          ? [[topic, 0] as const]
          : Array.from({ length: partitions }, (_, i) => [`${topic}-partition-${i}`, i] as const)
      for (const [name, partition] of names) {
        let stats
        try {
          stats = await this.#admin.topicStats(name)
        } catch {
          continue
        }
        const sub = stats.subscriptions[group]
        if (!sub) continue
        offsets.push({ topic, partition, committed: null, end: stats.msgInCounter, lag: sub.msgBacklog })
        for (const c of sub.consumers as { consumerName?: string; address?: string }[]) {
          members.push({
            id: c.consumerName ?? '',
            ...(c.address ? { host: c.address } : {}),
            assignments: [{ topic, partition }],
          })
        }
      }
    }
    return { group, state: members.length > 0 ? 'Active' : 'Empty', members, offsets }
  }
}
