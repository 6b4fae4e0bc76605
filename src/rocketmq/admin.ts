// Administration through the name server and brokers: create/delete topics on every master of
// the cluster, list topics, describe queues with their offsets, and consumer group progress
// (committed offset, end offset and lag per queue) and membership.

import type {
  Admin,
  CreateTopicOptions,
  GroupDescription,
  GroupPartitionLag,
  TopicDescription,
} from '../core/contract.ts'
import { ConfigError } from '../core/errors.ts'
import type { RocketMQClient } from './client.ts'
import { brokerErrorOf } from './connection.ts'
import { allocateAveragely } from './consumer/allocate.ts'
import { maxOffset, minOffset, queryConsumerOffset } from './consumer/offsets.ts'
import { validateTopic } from './producer/message.ts'
import { RequestCode, ResponseCode } from './protocol/codes.ts'
import { createTopicHeader, Perm } from './protocol/headers.ts'
import { parseJavaJson } from './protocol/java-json.ts'
import { decodeConsumerRunningInfo, type ConsumerRunningInfo } from './protocol/consumer-running-info.ts'
import { createRequest, type RemotingCommand } from './protocol/remoting-command.ts'
import { queueKey, readQueues, type MessageQueue } from './protocol/route.ts'

/** Topics the broker creates for itself; hidden from listTopics(). */
const SYSTEM_TOPIC =
  /^(%RETRY%|%DLQ%|rmq_sys_|RMQ_SYS_|TBW102$|SCHEDULE_TOPIC_XXXX$|OFFSET_MOVED_EVENT$|TRANS_CHECK_MAX_TIME_TOPIC$|SELF_TEST_TOPIC$|BenchmarkTest$|%SYS%|DefaultHeartBeatSyncerTopic$)/
const SYSTEM_GROUP =
  /^(CID_RMQ_SYS_|CID_ONSAPI_|CID_ONS-HTTP-PROXY|TOOLS_CONSUMER|FILTERSRV_CONSUMER|SELF_TEST_|CID_SYS_RMQ_TRANS|SCHEDULE_CONSUMER|__MONITOR_CONSUMER|CID_DefaultHeartBeatSyncer|rmq_sys_)/

/** The broker waits for the member's answer itself; this leaves it room to time out first. */
const RUNNING_INFO_TIMEOUT_MS = 8000

/** describeGroup's answer, saying where each member's assignment came from. */
export interface RocketMQGroupDescription extends GroupDescription {
  members: (GroupDescription['members'][number] & { assignmentSource: 'reported' | 'computed' })[]
  /** Set when some assignment had to be computed instead of reported by the member. */
  note?: string
}

export class RocketMQAdmin implements Admin {
  readonly #client: RocketMQClient

  constructor(client: RocketMQClient) {
    this.#client = client
  }

  /** Master addresses of every broker in the cluster(s) the name server knows. */
  async masters(): Promise<{ brokerName: string; cluster: string; address: string }[]> {
    const info = await this.#client.nameServers.clusterInfo()
    const out: { brokerName: string; cluster: string; address: string }[] = []
    for (const b of info.brokers.values()) {
      const address = b.brokerAddrs.get(0)
      if (address) out.push({ brokerName: b.brokerName, cluster: b.cluster, address })
    }
    return out
  }

  async createTopic(name: string, options: CreateTopicOptions & { order?: boolean } = {}): Promise<void> {
    validateTopic(name)
    const queues = options.partitions ?? 8
    if (!Number.isInteger(queues) || queues < 1 || queues > 1024)
      throw new ConfigError('partitions must be an integer from 1 to 1024')
    const masters = await this.masters()
    if (masters.length === 0) throw new ConfigError('the name server knows no broker to create the topic on')
    for (const m of masters) {
      await this.#client.getOrNewBroker(m.address).invoke(
        createRequest(
          RequestCode.UPDATE_AND_CREATE_TOPIC,
          createTopicHeader({
            topic: name,
            readQueueNums: queues,
            writeQueueNums: queues,
            perm: Perm.READ | Perm.WRITE,
            order: options.order,
          }),
        ),
        `create topic ${name} on ${m.brokerName}`,
      )
    }
    // The broker registers the topic with the name server on its next registration; wait for it
    // so that producers and consumers created right after see the route.
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      const route = await this.#client.route(name, true).catch(() => undefined)
      if (route && readQueues(name, route).length >= queues * masters.length) return
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  async deleteTopic(name: string): Promise<void> {
    validateTopic(name)
    const masters = await this.masters()
    for (const m of masters) {
      await this.#client
        .getOrNewBroker(m.address)
        .invoke(
          createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: name }),
          `delete topic ${name} on ${m.brokerName}`,
        )
    }
    await this.#client.nameServers.deleteTopic(name)
  }

  async listTopics(): Promise<string[]> {
    // Brokers also register their own name and their cluster's name (and its reply topic) as topics.
    const masters = await this.masters()
    const own = new Set(masters.flatMap((m) => [m.brokerName, m.cluster, `${m.cluster}_REPLY_TOPIC`]))
    return (await this.#client.nameServers.allTopics())
      .filter((t) => !SYSTEM_TOPIC.test(t) && !own.has(t))
      .sort()
  }

  async #queues(topic: string): Promise<MessageQueue[]> {
    const route = await this.#client.route(topic, true)
    if (!route)
      throw brokerErrorOf(
        {
          code: ResponseCode.TOPIC_NOT_EXIST,
          remark: `topic ${topic} does not exist`,
          extFields: {},
          body: null,
          flag: 1,
          opaque: 0,
          language: 0,
          version: 0,
        },
        `describe ${topic}`,
      )
    return readQueues(topic, route)
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    validateTopic(name)
    const queues = await this.#queues(name)
    const route = (await this.#client.route(name))!
    const partitions = await Promise.all(
      queues.map(async (q, partition) => ({
        partition,
        leader: `${q.brokerName}(${route.brokers.find((b) => b.brokerName === q.brokerName)?.brokerAddrs.get(0) ?? '?'})/${q.queueId}`,
        earliest: await minOffset(this.#client, q),
        latest: await maxOffset(this.#client, q),
      })),
    )
    return { name, partitions }
  }

  async listGroups(): Promise<string[]> {
    const groups = new Set<string>()
    for (const m of await this.masters()) {
      const response = await this.#client
        .getOrNewBroker(m.address)
        .invoke(createRequest(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG), `list groups on ${m.brokerName}`)
      const body = parseJavaJson<{ subscriptionGroupTable?: Record<string, unknown> }>(
        response.body,
        'subscription groups',
      )
      for (const g of Object.keys(body.subscriptionGroupTable ?? {})) if (!SYSTEM_GROUP.test(g)) groups.add(g)
    }
    return [...groups].sort()
  }

  /** Client ids of the group's online members (GET_CONSUMER_LIST_BY_GROUP). */
  async consumerIds(group: string): Promise<string[]> {
    for (const m of await this.masters()) {
      const ids = await this.#client.consumerIds(m.address, group).catch(() => [])
      if (ids.length > 0) return ids.sort()
    }
    return []
  }

  /** Topics a group consumes: from its online members' subscriptions, else from the broker's offsets. */
  async groupTopics(group: string): Promise<string[]> {
    const topics = new Set<string>()
    for (const m of await this.masters()) {
      const response = await this.#client
        .getOrNewBroker(m.address)
        .request(createRequest(RequestCode.QUERY_TOPICS_BY_CONSUMER, { group }))
      if (response.code !== ResponseCode.SUCCESS) continue
      const body = parseJavaJson<{ topicList?: unknown[] }>(response.body, 'topics by consumer')
      for (const t of body.topicList ?? []) if (typeof t === 'string') topics.add(t)
    }
    return [...topics].filter((t) => !t.startsWith('%')).sort()
  }

  /**
   * What one member reports about itself (GET_CONSUMER_RUNNING_INFO): the broker relays the
   * request over that member's own connection and relays its answer. Fails with a BrokerError when
   * the member is gone or does not answer (e.g. a client too old for the request).
   */
  async consumerRunningInfo(group: string, clientId: string): Promise<ConsumerRunningInfo> {
    let last: unknown = new ConfigError(`no broker knows a member ${clientId} of ${group}`)
    for (const m of await this.masters()) {
      let response: RemotingCommand
      try {
        response = await this.#client.getOrNewBroker(m.address).request(
          createRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, {
            consumerGroup: group,
            clientId,
            jstackEnable: false,
          }),
          RUNNING_INFO_TIMEOUT_MS,
        )
      } catch (err) {
        last = err
        continue
      }
      if (response.code === ResponseCode.SUCCESS) return decodeConsumerRunningInfo(response.body)
      last = brokerErrorOf(response, `running info of ${clientId} in ${group}`)
    }
    throw last
  }

  /**
   * Members, assignments and lag. Each member is asked which queues it holds; a member that does
   * not answer gets the averaging strategy's computed share instead, and `note` says so.
   */
  async describeGroup(group: string): Promise<RocketMQGroupDescription> {
    const [ids, topics] = await Promise.all([this.consumerIds(group), this.groupTopics(group)])
    const offsets: GroupPartitionLag[] = []
    const assignments = new Map<string, { topic: string; partition: number }[]>(ids.map((id) => [id, []]))
    const reported = new Map<string, MessageQueue[]>()
    await Promise.all(
      ids.map(async (id) => {
        const info = await this.consumerRunningInfo(group, id).catch(() => undefined)
        if (info)
          reported.set(
            id,
            info.queues.map((q) => q.queue),
          )
      }),
    )
    for (const topic of topics) {
      const queues = await this.#queues(topic).catch(() => [] as MessageQueue[])
      for (const [partition, q] of queues.entries()) {
        const [committed, end] = await Promise.all([
          queryConsumerOffset(this.#client, group, q),
          maxOffset(this.#client, q),
        ])
        offsets.push({
          topic,
          partition,
          committed: committed ?? null,
          end,
          lag: Math.max(0, end - (committed ?? 0)),
        })
      }
      const index = new Map(queues.map((q, i) => [queueKey(q), i]))
      for (const id of ids) {
        const held = reported.get(id)
        // Fallback: the averaging strategy (Conduit's and the Java default) over the member list.
        const mine = held ? held.filter((q) => q.topic === topic) : allocateAveragely(queues, ids, id)
        for (const q of mine) {
          const partition = index.get(queueKey(q))
          if (partition !== undefined) assignments.get(id)!.push({ topic, partition })
        }
      }
    }
    const computed = ids.filter((id) => !reported.has(id))
    return {
      group,
      state: ids.length > 0 ? 'Stable' : 'Empty',
      members: ids.map((id) => ({
        id,
        client: id,
        host: id.split('@')[0],
        assignments: (assignments.get(id) ?? []).sort((a, b) =>
          a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
        ),
        assignmentSource: reported.has(id) ? 'reported' : 'computed',
      })),
      offsets,
      ...(computed.length > 0
        ? {
            note: `assignments of ${computed.join(', ')} computed with the averaging strategy: the member did not answer GET_CONSUMER_RUNNING_INFO`,
          }
        : {}),
    }
  }
}
