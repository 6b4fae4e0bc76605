// Kafka administration: topics, partitions, cluster, groups (with offsets and lag), configs,
// record deletion. Cluster-wide requests go to any broker (KRaft brokers forward controller
// work themselves); group requests go to the group's coordinator; ListGroups asks every broker,
// since each one only knows the groups it coordinates; DeleteRecords goes to partition leaders.
//
// Every method retries retriable errors (a leader or coordinator moving) within the request
// timeout and otherwise throws the broker's error as a BrokerError with its code and name.

import { Backoff, sleep } from '../core/backoff.ts'
import type {
  Admin,
  CreateTopicOptions,
  GroupDescription,
  GroupPartitionLag,
  TopicDescription,
} from '../core/contract.ts'
import { ConduitError, ConfigError } from '../core/errors.ts'
import type { KafkaCluster } from './cluster.ts'
import type { KafkaConnection } from './connection.ts'
import { decodeAssignment } from './protocol/index.ts'
import { listOffsets, OffsetSpec, offsetKey } from './consumer/offsets.ts'
import { ApiKey, kafkaError } from './protocol/index.ts'

export const ConfigResourceType = { TOPIC: 2, BROKER: 4, GROUP: 32 } as const
export type ConfigResource = { type: 'topic' | 'broker' | 'group'; name: string }
export type ConfigOperation = 'set' | 'delete' | 'append' | 'subtract'
const OPERATION_CODES: Record<ConfigOperation, number> = { set: 0, delete: 1, append: 2, subtract: 3 }

export type OffsetResetSpec =
  | { to: 'earliest' }
  | { to: 'latest' }
  | { to: 'timestamp'; timestamp: number | Date }
  | { to: 'offsets'; offsets: { topic: string; partition: number; offset: number }[] }

export interface ClusterDescription {
  clusterId: string | null
  controllerId: number
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[]
}

function resourceType(r: ConfigResource): number {
  const t = {
    topic: ConfigResourceType.TOPIC,
    broker: ConfigResourceType.BROKER,
    group: ConfigResourceType.GROUP,
  }[r.type]
  if (t === undefined)
    throw new ConfigError(`config resource type must be topic, broker or group, got ${String(r.type)}`)
  return t
}

function checkTopicName(name: string): void {
  if (typeof name !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(name) || name === '.' || name === '..') {
    throw new ConfigError(`invalid Kafka topic name "${String(name)}": 1-249 of [a-zA-Z0-9._-]`)
  }
}

export class KafkaAdmin implements Admin {
  readonly #cluster: KafkaCluster

  constructor(cluster: KafkaCluster) {
    this.#cluster = cluster
  }

  async #retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 2000 })
    const deadline = Date.now() + this.#cluster.options.requestTimeoutMs
    for (;;) {
      try {
        return await fn()
      } catch (err) {
        if (!(err instanceof ConduitError) || !err.retriable || Date.now() > deadline) throw err
        await this.#cluster.refreshMetadata('known').catch(() => undefined)
        await sleep(backoff.next())
      }
    }
  }

  #any<T>(fn: (conn: KafkaConnection) => Promise<T>): Promise<T> {
    return this.#cluster.withAnyConnection('admin', fn)
  }

  async #coordinator<T>(groupId: string, fn: (conn: KafkaConnection) => Promise<T>): Promise<T> {
    try {
      const node = await this.#cluster.coordinator(groupId)
      return await fn(await this.#cluster.connection(node, 'admin'))
    } catch (err) {
      this.#cluster.forgetCoordinator(groupId)
      throw err
    }
  }

  // ---- topics -------------------------------------------------------------------------------

  async createTopic(name: string, options: CreateTopicOptions = {}): Promise<void> {
    await this.createTopics([{ name, ...options }])
  }

  async createTopics(topics: (CreateTopicOptions & { name: string })[]): Promise<void> {
    for (const t of topics) {
      checkTopicName(t.name)
      if (t.partitions !== undefined && (!Number.isInteger(t.partitions) || t.partitions < 1)) {
        throw new ConfigError(`topic "${t.name}": partitions must be a positive integer`)
      }
    }
    const timeoutMs = this.#cluster.options.requestTimeoutMs
    await this.#retry('CreateTopics', () =>
      this.#any(async (conn) => {
        const res = await conn.request(ApiKey.CreateTopics, {
          topics: topics.map((t) => ({
            name: t.name,
            numPartitions: t.partitions ?? -1,
            replicationFactor: t.replicationFactor ?? -1,
            assignments: [],
            configs: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
          timeoutMs,
          validateOnly: false,
        })
        for (const r of res.topics) {
          if (r.errorCode !== 0) throw kafkaError(r.errorCode, `CreateTopics "${r.name}"`, r.errorMessage)
        }
      }),
    )
    // Wait until the new topics have leaders, so producing right after does not race.
    await Promise.all(topics.map((t) => this.#cluster.topic(t.name)))
  }

  async deleteTopic(name: string): Promise<void> {
    await this.deleteTopics([name])
  }

  async deleteTopics(names: string[]): Promise<void> {
    for (const n of names) checkTopicName(n)
    await this.#retry('DeleteTopics', () =>
      this.#any(async (conn) => {
        const res = await conn.request(ApiKey.DeleteTopics, {
          topicNames: names,
          topics: names.map((name) => ({ name, topicId: new Uint8Array(16) })),
          timeoutMs: this.#cluster.options.requestTimeoutMs,
        })
        for (const r of res.responses) {
          if (r.errorCode !== 0) throw kafkaError(r.errorCode, `DeleteTopics "${r.name}"`, r.errorMessage)
        }
      }),
    )
    for (const n of names) this.#cluster.forget(n)
  }

  async listTopics(options: { internal?: boolean } = {}): Promise<string[]> {
    await this.#cluster.refreshMetadata('all')
    return [...this.#cluster.topics.values()]
      .filter((t) => options.internal || !t.isInternal)
      .map((t) => t.name)
      .sort()
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    checkTopicName(name)
    const info = await this.#cluster.topic(name, undefined, { failIfMissing: true })
    const queries = info.partitions.map((p) => ({ topic: name, partition: p.partition }))
    const [earliest, latest, configs] = await Promise.all([
      listOffsets(
        this.#cluster,
        queries.map((q) => ({ ...q, timestamp: OffsetSpec.EARLIEST })),
      ),
      listOffsets(
        this.#cluster,
        queries.map((q) => ({ ...q, timestamp: OffsetSpec.LATEST })),
      ),
      this.describeConfigs([{ type: 'topic', name }]),
    ])
    return {
      name,
      partitions: info.partitions.map((p) => ({
        partition: p.partition,
        leader: String(p.leader),
        earliest: Number(earliest.get(offsetKey(name, p.partition))?.offset ?? -1n),
        latest: Number(latest.get(offsetKey(name, p.partition))?.offset ?? -1n),
      })),
      config: configs.get(`topic:${name}`) ?? {},
    }
  }

  /** Grows a topic to `count` partitions (Kafka cannot shrink one). */
  async createPartitions(topic: string, count: number): Promise<void> {
    checkTopicName(topic)
    if (!Number.isInteger(count) || count < 1)
      throw new ConfigError('partition count must be a positive integer')
    await this.#retry('CreatePartitions', () =>
      this.#any(async (conn) => {
        const res = await conn.request(ApiKey.CreatePartitions, {
          topics: [{ name: topic, count, assignments: null }],
          timeoutMs: this.#cluster.options.requestTimeoutMs,
          validateOnly: false,
        })
        for (const r of res.results) {
          if (r.errorCode !== 0) throw kafkaError(r.errorCode, `CreatePartitions "${r.name}"`, r.errorMessage)
        }
      }),
    )
    this.#cluster.topics.delete(topic)
    await this.#cluster.refreshMetadata([topic])
  }

  async describeCluster(): Promise<ClusterDescription> {
    return this.#retry('DescribeCluster', () =>
      this.#any(async (conn) => {
        const res = await conn.request(ApiKey.DescribeCluster, {
          includeClusterAuthorizedOperations: false,
          endpointType: 1,
        })
        if (res.errorCode !== 0) throw kafkaError(res.errorCode, 'DescribeCluster', res.errorMessage)
        return {
          clusterId: res.clusterId,
          controllerId: res.controllerId,
          brokers: res.brokers.map(
            (b: { brokerId: number; host: string; port: number; rack: string | null }) => ({
              nodeId: b.brokerId,
              host: b.host,
              port: b.port,
              rack: b.rack,
            }),
          ),
        }
      }),
    )
  }

  /** Deletes records before `offset` in each partition; returns the new low watermarks. */
  async deleteRecords(
    topic: string,
    partitions: { partition: number; offset: number }[],
  ): Promise<Map<number, number>> {
    const out = new Map<number, number>()
    await this.#retry('DeleteRecords', async () => {
      const info = await this.#cluster.topic(topic)
      const byLeader = new Map<number, { partitionIndex: number; offset: bigint }[]>()
      for (const p of partitions) {
        if (!info.partitions[p.partition])
          throw new ConfigError(`partition ${topic}-${p.partition} does not exist`)
        const leader = this.#cluster.leaderOf(topic, p.partition)
        let l = byLeader.get(leader)
        if (!l) byLeader.set(leader, (l = []))
        l.push({ partitionIndex: p.partition, offset: BigInt(p.offset) })
      }
      await Promise.all(
        [...byLeader].map(async ([leader, list]) => {
          const conn = await this.#cluster.connection(leader, 'admin')
          const res = await conn.request(ApiKey.DeleteRecords, {
            topics: [{ name: topic, partitions: list }],
            timeoutMs: this.#cluster.options.requestTimeoutMs,
          })
          for (const t of res.topics) {
            for (const p of t.partitions) {
              if (p.errorCode !== 0) {
                this.#cluster.noteError(p.errorCode)
                throw kafkaError(p.errorCode, `DeleteRecords ${topic}-${p.partitionIndex}`)
              }
              out.set(p.partitionIndex, Number(p.lowWatermark))
            }
          }
        }),
      )
    })
    return out
  }

  // ---- configs ------------------------------------------------------------------------------

  /** Current configs, keyed `type:name` → config name → value (null when sensitive or unset). */
  async describeConfigs(resources: ConfigResource[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>()
    await this.#retry('DescribeConfigs', () =>
      this.#any(async (conn) => {
        const res = await conn.request(ApiKey.DescribeConfigs, {
          resources: resources.map((r) => ({
            resourceType: resourceType(r),
            resourceName: r.name,
            configurationKeys: null,
          })),
          includeSynonyms: false,
          includeDocumentation: false,
        })
        res.results.forEach(
          (
            r: {
              errorCode: number
              errorMessage: string | null
              resourceName: string
              configs: { name: string; value: string | null }[]
            },
            i: number,
          ) => {
            if (r.errorCode !== 0)
              throw kafkaError(r.errorCode, `DescribeConfigs "${r.resourceName}"`, r.errorMessage)
            const values: Record<string, string> = {}
            for (const c of r.configs) if (c.value !== null) values[c.name] = c.value
            out.set(`${resources[i]!.type}:${r.resourceName}`, values)
          },
        )
      }),
    )
    return out
  }

  /**
   * Sets (or, with `value: null`, removes) client quotas: `entity` maps entity types (`user`,
   * `client-id`, `ip`) to a name, or to null for that type's default; keys are quota names such as
   * `producer_byte_rate`, `consumer_byte_rate`, `request_percentage`.
   */
  async alterClientQuotas(
    entity: Record<string, string | null>,
    quotas: Record<string, number | null>,
  ): Promise<void> {
    const entityList = Object.entries(entity).map(([entityType, entityName]) => ({ entityType, entityName }))
    if (entityList.length === 0) throw new ConfigError('alterClientQuotas needs at least one entity type')
    const ops = Object.entries(quotas).map(([key, value]) => ({
      key,
      value: value ?? 0,
      remove: value === null,
    }))
    await this.#retry('AlterClientQuotas', () =>
      this.#any(async (conn) => {
        const res = await conn.request(ApiKey.AlterClientQuotas, {
          entries: [{ entity: entityList, ops }],
          validateOnly: false,
        })
        for (const e of res.entries) {
          if (e.errorCode !== 0) throw kafkaError(e.errorCode, 'AlterClientQuotas', e.errorMessage)
        }
      }),
    )
  }

  async incrementalAlterConfigs(
    resource: ConfigResource,
    changes: { name: string; op?: ConfigOperation; value?: string | null }[],
  ): Promise<void> {
    const type = resourceType(resource)
    for (const c of changes) {
      if (c.op !== undefined && !(c.op in OPERATION_CODES))
        throw new ConfigError(`unknown config operation "${c.op}"`)
    }
    await this.#retry('IncrementalAlterConfigs', () =>
      this.#any(async (conn) => {
        const res = await conn.request(ApiKey.IncrementalAlterConfigs, {
          resources: [
            {
              resourceType: type,
              resourceName: resource.name,
              configs: changes.map((c) => ({
                name: c.name,
                configOperation: OPERATION_CODES[c.op ?? 'set'],
                value: c.value ?? null,
              })),
            },
          ],
          validateOnly: false,
        })
        for (const r of res.responses) {
          if (r.errorCode !== 0)
            throw kafkaError(r.errorCode, `IncrementalAlterConfigs "${r.resourceName}"`, r.errorMessage)
        }
      }),
    )
  }

  // ---- groups -------------------------------------------------------------------------------

  async listGroups(): Promise<string[]> {
    await this.#cluster.refreshMetadata('known')
    const names = new Set<string>()
    await Promise.all(
      [...this.#cluster.brokers.keys()].map((node) =>
        this.#retry('ListGroups', async () => {
          const conn = await this.#cluster.connection(node, 'admin')
          const res = await conn.request(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] })
          if (res.errorCode !== 0) throw kafkaError(res.errorCode, `ListGroups on broker ${node}`)
          for (const g of res.groups) names.add(g.groupId)
        }),
      ),
    )
    return [...names].sort()
  }

  async describeGroup(group: string): Promise<GroupDescription> {
    const d = await this.#retry('DescribeGroups', () =>
      this.#coordinator(group, async (conn) => {
        const res = await conn.request(ApiKey.DescribeGroups, {
          groups: [group],
          includeAuthorizedOperations: false,
        })
        const g = res.groups[0]
        if (g.errorCode !== 0) throw kafkaError(g.errorCode, `DescribeGroups "${group}"`)
        return g
      }),
    )
    const offsets = await this.groupOffsets(group)
    return {
      group,
      state: d.groupState,
      members: d.members.map(
        (m: { memberId: string; clientId: string; clientHost: string; memberAssignment: Uint8Array }) => {
          let assignments: { topic: string; partition: number }[] = []
          if (d.protocolType === 'consumer' && m.memberAssignment.length > 0) {
            try {
              assignments = decodeAssignment(m.memberAssignment).assignedPartitions.flatMap((t) =>
                t.partitions.map((partition) => ({ topic: t.topic, partition })),
              )
            } catch {
              // A member of another client kind may put anything there; its assignment is unknown.
            }
          }
          return { id: m.memberId, client: m.clientId, host: m.clientHost, assignments }
        },
      ),
      offsets,
    }
  }

  /** Committed offsets of a group with the end offset and lag of each partition. */
  async groupOffsets(group: string): Promise<GroupPartitionLag[]> {
    const committed = await this.#retry('OffsetFetch', () =>
      this.#coordinator(group, async (conn) => {
        const res = await conn.request(ApiKey.OffsetFetch, {
          groupId: group,
          topics: null,
          groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }],
          requireStable: false,
        })
        const g = res.groups?.length ? res.groups[0] : res
        if (g.errorCode !== 0) throw kafkaError(g.errorCode, `OffsetFetch "${group}"`)
        const list: { topic: string; partition: number; committed: number }[] = []
        for (const t of g.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) throw kafkaError(p.errorCode, `OffsetFetch ${t.name}-${p.partitionIndex}`)
            list.push({ topic: t.name, partition: p.partitionIndex, committed: Number(p.committedOffset) })
          }
        }
        return list
      }),
    )
    if (committed.length === 0) return []
    const ends = await listOffsets(
      this.#cluster,
      committed.map((c) => ({ topic: c.topic, partition: c.partition, timestamp: OffsetSpec.LATEST })),
    )
    return committed
      .map((c) => {
        const end = Number(ends.get(offsetKey(c.topic, c.partition))?.offset ?? -1n)
        const has = c.committed >= 0
        return {
          topic: c.topic,
          partition: c.partition,
          committed: has ? c.committed : null,
          end,
          lag: has ? Math.max(0, end - c.committed) : end,
        }
      })
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
  }

  /** Deletes a group's committed offsets for partitions of a topic it no longer consumes. */
  async deleteGroupOffsets(group: string, topic: string, partitions?: number[]): Promise<void> {
    const list = partitions ?? (await this.#cluster.topic(topic)).partitions.map((p) => p.partition)
    await this.#retry('OffsetDelete', () =>
      this.#coordinator(group, async (conn) => {
        const res = await conn.request(ApiKey.OffsetDelete, {
          groupId: group,
          topics: [{ name: topic, partitions: list.map((partitionIndex) => ({ partitionIndex })) }],
        })
        if (res.errorCode !== 0) throw kafkaError(res.errorCode, `OffsetDelete "${group}"`)
        for (const t of res.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0)
              throw kafkaError(p.errorCode, `OffsetDelete ${t.name}-${p.partitionIndex} for "${group}"`)
          }
        }
      }),
    )
  }

  async deleteGroup(group: string): Promise<void> {
    await this.#retry('DeleteGroups', () =>
      this.#coordinator(group, async (conn) => {
        const res = await conn.request(ApiKey.DeleteGroups, { groupsNames: [group] })
        for (const r of res.results) {
          if (r.errorCode !== 0) throw kafkaError(r.errorCode, `DeleteGroups "${r.groupId}"`)
        }
      }),
    )
  }

  /**
   * Moves a group's committed offsets for the partitions of `topic` (all partitions unless the
   * spec lists explicit ones). The group must have no active members (Kafka refuses otherwise).
   */
  async resetGroupOffsets(group: string, topic: string, spec: OffsetResetSpec): Promise<void> {
    const info = await this.#cluster.topic(topic)
    let targets: { partition: number; offset: number }[]
    if (spec.to === 'offsets') {
      targets = spec.offsets
        .filter((o) => o.topic === topic)
        .map((o) => ({ partition: o.partition, offset: o.offset }))
    } else {
      const timestamp =
        spec.to === 'earliest'
          ? OffsetSpec.EARLIEST
          : spec.to === 'latest'
            ? OffsetSpec.LATEST
            : BigInt(spec.timestamp instanceof Date ? spec.timestamp.getTime() : spec.timestamp)
      const answers = await listOffsets(
        this.#cluster,
        info.partitions.map((p) => ({ topic, partition: p.partition, timestamp })),
      )
      let latest: Map<string, { offset: bigint }> | undefined
      if (spec.to === 'timestamp') {
        latest = await listOffsets(
          this.#cluster,
          info.partitions.map((p) => ({ topic, partition: p.partition, timestamp: OffsetSpec.LATEST })),
        )
      }
      targets = info.partitions.map((p) => {
        let offset = answers.get(offsetKey(topic, p.partition))!.offset
        // No record at or after the timestamp: the group goes to the end.
        if (offset < 0n && latest) offset = latest.get(offsetKey(topic, p.partition))!.offset
        return { partition: p.partition, offset: Number(offset) }
      })
    }
    await this.#retry('OffsetCommit', () =>
      this.#coordinator(group, async (conn) => {
        const partitions = targets.map((t) => ({
          partitionIndex: t.partition,
          committedOffset: BigInt(t.offset),
          committedLeaderEpoch: -1,
          committedMetadata: '',
        }))
        const res = await conn.request(ApiKey.OffsetCommit, {
          groupId: group,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [{ name: topic, partitions }],
        })
        for (const t of res.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0)
              throw kafkaError(p.errorCode, `OffsetCommit ${t.name}-${p.partitionIndex} for "${group}"`)
          }
        }
      }),
    )
  }
}
