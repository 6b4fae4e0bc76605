// Request headers (extFields) of the commands this client sends, field names as in the
// *RequestHeader classes of apache/rocketmq, and readers for the response headers it uses.
// Values go on the wire as strings; see remoting-command.ts stringFields().

import { ProtocolError } from '../../core/errors.ts'

type Fields = Record<string, string | number | boolean | undefined>

/** SendMessageRequestHeaderV2: one-letter names keep the header small on the hot path. */
export interface SendHeader {
  producerGroup: string
  topic: string
  defaultTopic?: string
  defaultTopicQueueNums?: number
  queueId: number
  sysFlag: number
  bornTimestamp: number
  flag: number
  properties: string
  reconsumeTimes?: number
  unitMode?: boolean
  maxReconsumeTimes?: number
  batch?: boolean
  brokerName?: string
}

export function sendHeaderV2(h: SendHeader): Fields {
  return {
    a: h.producerGroup,
    b: h.topic,
    c: h.defaultTopic ?? 'TBW102',
    d: h.defaultTopicQueueNums ?? 4,
    e: h.queueId,
    f: h.sysFlag,
    g: h.bornTimestamp,
    h: h.flag,
    i: h.properties,
    j: h.reconsumeTimes ?? 0,
    k: h.unitMode ?? false,
    l: h.maxReconsumeTimes,
    m: h.batch ?? false,
    n: h.brokerName,
  }
}

/** SEND_REPLY_MESSAGE uses the long-named header (ReplyMessageRequestHeader). */
export function replyHeader(
  h: SendHeader & { bornHost: string; storeHost: string; storeTimestamp: number },
): Fields {
  return {
    producerGroup: h.producerGroup,
    topic: h.topic,
    defaultTopic: h.defaultTopic ?? 'TBW102',
    defaultTopicQueueNums: h.defaultTopicQueueNums ?? 4,
    queueId: h.queueId,
    sysFlag: h.sysFlag,
    bornTimestamp: h.bornTimestamp,
    flag: h.flag,
    properties: h.properties,
    reconsumeTimes: h.reconsumeTimes ?? 0,
    unitMode: false,
    bornHost: h.bornHost,
    storeHost: h.storeHost,
    storeTimestamp: h.storeTimestamp,
  }
}

/** PullSysFlag.java */
export const PullSysFlag = {
  COMMIT_OFFSET: 0x1,
  SUSPEND: 0x2,
  SUBSCRIPTION: 0x4,
  CLASS_FILTER: 0x8,
  LITE_PULL: 0x10,
} as const

export interface PullHeader {
  consumerGroup: string
  topic: string
  queueId: number
  queueOffset: number
  maxMsgNums: number
  sysFlag: number
  commitOffset: number
  suspendTimeoutMillis: number
  subscription?: string
  subVersion: number
  expressionType?: string
  maxMsgBytes?: number
}

export function pullHeader(h: PullHeader): Fields {
  return { ...h }
}

export interface QueueRef {
  topic: string
  queueId: number
}

/**
 * setZeroIfNotFound=false: a 5.x broker otherwise answers 0 (not QUERY_NOT_FOUND) for a
 * never-consumed queue whose first message is still in memory, and the consumer would start at
 * the beginning whatever consumeFromWhere says.
 */
export function queryOffsetHeader(group: string, q: QueueRef): Fields {
  return { consumerGroup: group, topic: q.topic, queueId: q.queueId, setZeroIfNotFound: false }
}

export function updateOffsetHeader(group: string, q: QueueRef, offset: number): Fields {
  return { consumerGroup: group, topic: q.topic, queueId: q.queueId, commitOffset: offset }
}

export function queueHeader(q: QueueRef): Fields {
  return { topic: q.topic, queueId: q.queueId }
}

export function searchOffsetHeader(q: QueueRef, timestamp: number): Fields {
  return { topic: q.topic, queueId: q.queueId, timestamp }
}

export interface SendBackHeader {
  /** The commit-log offset of the message being returned. */
  offset: number
  group: string
  /** 0 lets the broker pick the level from the reconsume count (3 + times); -1 sends straight to the DLQ. */
  delayLevel: number
  originMsgId: string
  originTopic: string
  maxReconsumeTimes: number
}

export function sendBackHeader(h: SendBackHeader): Fields {
  return { ...h, unitMode: false }
}

/** EndTransactionRequestHeader.commitOrRollback uses the sysFlag transaction types. */
export const TransactionState = { UNKNOWN: 0, COMMIT: 8, ROLLBACK: 12 } as const

export interface EndTransactionHeader {
  topic: string
  producerGroup: string
  tranStateTableOffset: number
  commitLogOffset: number
  commitOrRollback: number
  fromTransactionCheck: boolean
  msgId: string
  transactionId?: string
}

export function endTransactionHeader(h: EndTransactionHeader): Fields {
  return { ...h }
}

export function unregisterHeader(clientID: string, producerGroup?: string, consumerGroup?: string): Fields {
  return { clientID, producerGroup, consumerGroup }
}

export interface CreateTopicHeader {
  topic: string
  readQueueNums: number
  writeQueueNums: number
  perm: number
  order?: boolean
  topicSysFlag?: number
}

export function createTopicHeader(h: CreateTopicHeader): Fields {
  return {
    topic: h.topic,
    defaultTopic: 'TBW102',
    readQueueNums: h.readQueueNums,
    writeQueueNums: h.writeQueueNums,
    perm: h.perm,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: h.topicSysFlag ?? 0,
    order: h.order ?? false,
  }
}

/** Topic permissions (PermName.java): read 4, write 2, inherit 1. */
export const Perm = { READ: 4, WRITE: 2, INHERIT: 1 } as const

/** Reads an integer response header field; missing or malformed is a ProtocolError. */
export function intField(fields: Record<string, string>, name: string, what: string): number {
  const raw = fields[name]
  const value = raw === undefined ? NaN : Number(raw)
  if (!Number.isSafeInteger(value)) {
    throw new ProtocolError(
      `${what}: response header "${name}" is ${raw === undefined ? 'missing' : `"${raw}", not an integer`}`,
    )
  }
  return value
}

export function optionalIntField(
  fields: Record<string, string>,
  name: string,
  what: string,
): number | undefined {
  return fields[name] === undefined ? undefined : intField(fields, name, what)
}
