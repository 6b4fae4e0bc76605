// Name-server answers (JSON bodies, see java-json.ts): TopicRouteData for GET_ROUTEINFO_BY_TOPIC
// and ClusterInfo for GET_BROKER_CLUSTER_INFO, validated into typed values.

import { ProtocolError } from '../../core/errors.ts'
import { parseJavaJson } from './java-json.ts'
import { Perm } from './headers.ts'

export interface BrokerData {
  cluster: string
  brokerName: string
  /** brokerId → "host:port"; id 0 is the master. */
  brokerAddrs: Map<number, string>
}

export interface QueueData {
  brokerName: string
  readQueueNums: number
  writeQueueNums: number
  perm: number
  topicSysFlag: number
}

export interface TopicRoute {
  brokers: BrokerData[]
  queues: QueueData[]
  orderTopicConf?: string
}

export interface MessageQueue {
  topic: string
  brokerName: string
  queueId: number
}

export function queueKey(q: MessageQueue): string {
  return `${q.topic}@${q.brokerName}@${q.queueId}`
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new ProtocolError(`${what} must be a string`)
  return v
}

function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ProtocolError(`${what} must be an integer`)
  return v
}

function addrs(v: unknown, what: string): Map<number, string> {
  const out = new Map<number, string>()
  if (typeof v !== 'object' || v === null) throw new ProtocolError(`${what} must be an object`)
  for (const [id, addr] of Object.entries(v)) out.set(Number(id), str(addr, `${what}[${id}]`))
  return out
}

export function parseBrokerData(raw: unknown): BrokerData {
  const b = raw as Record<string, unknown>
  return {
    cluster: str(b.cluster, 'brokerData.cluster'),
    brokerName: str(b.brokerName, 'brokerData.brokerName'),
    brokerAddrs: addrs(b.brokerAddrs, 'brokerData.brokerAddrs'),
  }
}

export function decodeTopicRoute(body: Uint8Array | null): TopicRoute {
  const raw = parseJavaJson<Record<string, unknown>>(body, 'topic route')
  if (!Array.isArray(raw.brokerDatas) || !Array.isArray(raw.queueDatas)) {
    throw new ProtocolError('topic route: brokerDatas and queueDatas must be arrays')
  }
  const queues = raw.queueDatas.map((q: Record<string, unknown>) => ({
    brokerName: str(q.brokerName, 'queueData.brokerName'),
    readQueueNums: int(q.readQueueNums, 'queueData.readQueueNums'),
    writeQueueNums: int(q.writeQueueNums, 'queueData.writeQueueNums'),
    perm: int(q.perm, 'queueData.perm'),
    topicSysFlag: typeof q.topicSysFlag === 'number' ? q.topicSysFlag : 0,
  }))
  const route: TopicRoute = { brokers: raw.brokerDatas.map(parseBrokerData), queues }
  if (typeof raw.orderTopicConf === 'string') route.orderTopicConf = raw.orderTopicConf
  return route
}

/** The master address of a broker name in a route, or undefined when it has none right now. */
export function masterAddress(route: TopicRoute, brokerName: string): string | undefined {
  return route.brokers.find((b) => b.brokerName === brokerName)?.brokerAddrs.get(0)
}

function byBrokerName(a: QueueData, b: QueueData): number {
  return a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0
}

const writeQueueCache = new WeakMap<TopicRoute, { topic: string; queues: MessageQueue[] }>()

/**
 * Writable queues, sorted by broker name then id (so every client agrees on their order).
 * Cached per route object: every send asks for them, and a route is replaced, never changed.
 */
export function writeQueues(topic: string, route: TopicRoute): MessageQueue[] {
  const cached = writeQueueCache.get(route)
  if (cached && cached.topic === topic) return cached.queues
  const queues = computeWriteQueues(topic, route)
  writeQueueCache.set(route, { topic, queues })
  return queues
}

function computeWriteQueues(topic: string, route: TopicRoute): MessageQueue[] {
  const out: MessageQueue[] = []
  for (const q of [...route.queues].sort(byBrokerName)) {
    if ((q.perm & Perm.WRITE) === 0 || masterAddress(route, q.brokerName) === undefined) continue
    for (let i = 0; i < q.writeQueueNums; i++) out.push({ topic, brokerName: q.brokerName, queueId: i })
  }
  return out
}

/** Readable queues, sorted the same way; rebalancing needs the same list on every member. */
export function readQueues(topic: string, route: TopicRoute): MessageQueue[] {
  const out: MessageQueue[] = []
  for (const q of [...route.queues].sort(byBrokerName)) {
    if ((q.perm & Perm.READ) === 0) continue
    for (let i = 0; i < q.readQueueNums; i++) out.push({ topic, brokerName: q.brokerName, queueId: i })
  }
  return out
}

export interface ClusterInfo {
  brokers: Map<string, BrokerData>
  clusters: Map<string, string[]>
}

export function decodeClusterInfo(body: Uint8Array | null): ClusterInfo {
  const raw = parseJavaJson<Record<string, Record<string, unknown>>>(body, 'cluster info')
  const brokers = new Map<string, BrokerData>()
  for (const [name, b] of Object.entries(raw.brokerAddrTable ?? {})) brokers.set(name, parseBrokerData(b))
  const clusters = new Map<string, string[]>()
  for (const [name, list] of Object.entries(raw.clusterAddrTable ?? {})) {
    if (!Array.isArray(list)) throw new ProtocolError('cluster info: clusterAddrTable values must be arrays')
    clusters.set(
      name,
      list.map((n) => str(n, 'cluster broker name')),
    )
  }
  return { brokers, clusters }
}
