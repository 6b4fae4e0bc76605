// Admin of the embedded broker: topics, and groups with their lag per partition.

import type {
  Admin,
  CreateTopicOptions,
  GroupDescription,
  TopicDescription,
  TopicPartitionInfo,
} from '../core/contract.ts'
import { ClosedError, ConfigError, NotFoundError } from '../core/errors.ts'
import type { Engine } from './engine.ts'

export class MemoryAdmin implements Admin {
  private readonly engine: Engine
  private readonly isClosed: () => boolean

  constructor(engine: Engine, isClosed: () => boolean) {
    this.engine = engine
    this.isClosed = isClosed
  }

  private check(): void {
    if (this.isClosed()) throw new ClosedError('broker connection is closed')
  }

  async createTopic(name: string, options: CreateTopicOptions = {}): Promise<void> {
    this.check()
    if (options.replicationFactor !== undefined && options.replicationFactor !== 1) {
      throw new ConfigError(
        'the embedded broker keeps one copy of each partition: replicationFactor must be 1',
      )
    }
    this.engine.createTopic(name, options.partitions ?? this.engine.options.partitions)
  }

  async deleteTopic(name: string): Promise<void> {
    this.check()
    this.engine.deleteTopic(name)
  }

  async listTopics(): Promise<string[]> {
    this.check()
    return [...this.engine.topics.keys()].sort()
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    this.check()
    const topic = this.engine.topics.get(name)
    if (!topic) throw new NotFoundError(`topic "${name}" does not exist`)
    return {
      name,
      partitions: topic.partitions.map((log) => {
        const info: TopicPartitionInfo = {
          partition: log.partition,
          earliest: log.earliest,
          latest: log.next,
        }
        if (log.damaged.length > 0) {
          info.damaged = log.damaged.map(({ kind, from, to, bytes, file, reason }) => ({
            kind,
            from,
            to,
            bytes,
            file,
            reason,
          }))
        }
        return info
      }),
      config: { createdAt: new Date(topic.createdAt).toISOString() },
    }
  }

  async listGroups(): Promise<string[]> {
    this.check()
    return this.engine.groupNames()
  }

  async describeGroup(name: string): Promise<GroupDescription> {
    this.check()
    if (!this.engine.groupNames().includes(name)) throw new NotFoundError(`group "${name}" does not exist`)
    const group = this.engine.group(name)
    const offsets = group
      .committedOffsets()
      .filter((o) => this.engine.topics.get(o.topic)?.partitions[o.partition] !== undefined)
      .map(({ topic, partition, committed }) => {
        const end = this.engine.topics.get(topic)!.partitions[partition]!.next
        return { topic, partition, committed, end, lag: Math.max(0, end - committed) }
      })
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    return {
      group: name,
      state: group.members.length > 0 ? 'Stable' : 'Empty',
      members: group.members.map((m) => ({
        id: m.memberId,
        client: m.clientId,
        assignments: group.assignments(m),
      })),
      offsets,
    }
  }
}
