// The native message a RocketMQ producer sends, and how it becomes the properties string and
// flags of SEND_MESSAGE_V2 (the same properties the Java client sets, so Java consumers see tags,
// keys, delays and user properties exactly as a Java producer would have set them).

import { ConfigError } from '../../core/errors.ts'
import { toBytes } from '../../core/message.ts'
import { uniqueKeys } from '../protocol/message-id.ts'
import { Property, SYSTEM_PROPERTY_NAMES } from '../protocol/properties.ts'
import type { MessageQueue } from '../protocol/route.ts'

export interface RocketMQMessage {
  topic: string
  body: string | Uint8Array
  /** One tag; consumers filter on it (`TagA || TagB`). */
  tags?: string
  /** Business keys, indexed by the broker for queries; sent space-separated. */
  keys?: string | readonly string[]
  /** User properties (Java `putUserProperty`). Names with a system meaning are refused. */
  properties?: Readonly<Record<string, string>>
  /** Delay level 1..18 of the broker's `messageDelayLevel` (1s 5s 10s 30s 1m … 2h). */
  delayLevel?: number
  /** Timer delivery (RocketMQ 5.x): deliver at this time. */
  deliverAt?: number | Date
  /** Messages with the same sharding key go to the same queue (ordered messages). */
  shardingKey?: string
  /** The message flag (int32) carried next to the body; opaque to the broker. */
  flag?: number
  /** Sent as the born timestamp; default the send time. */
  timestamp?: number | Date
}

export type SendStatus = 'SEND_OK' | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE'

export interface RocketMQSendResult {
  status: SendStatus
  /** The client unique key (what the Java client calls msgId). */
  msgId: string
  /** The broker's offset message id (store host + commit-log offset). */
  offsetMsgId: string
  queue: MessageQueue
  queueOffset: number
  transactionId?: string
}

export interface PreparedMessage {
  topic: string
  body: Uint8Array
  properties: Record<string, string>
  flag: number
  uniqKey: string
  shardingKey: string | undefined
  /** Sent as the born timestamp (the contract's message timestamp); default the send time. */
  bornTimestamp?: number
}

/** Checks a message and computes its system properties; bad input is a ConfigError at the call. */
export function prepareMessage(message: RocketMQMessage, now: number = Date.now()): PreparedMessage {
  if (message === null || typeof message !== 'object')
    throw new ConfigError('a RocketMQ message must be an object')
  validateTopic(message.topic)
  if (typeof message.body !== 'string' && !(message.body instanceof Uint8Array)) {
    throw new ConfigError('a RocketMQ message body must be a string or a Uint8Array')
  }
  const body = toBytes(message.body)
  if (body.length === 0)
    throw new ConfigError('a RocketMQ message body must not be empty (the broker refuses it)')
  const properties: Record<string, string> = {}
  for (const [k, v] of Object.entries(message.properties ?? {})) {
    if (typeof v !== 'string') throw new ConfigError(`property "${k}" must be a string`)
    if (SYSTEM_PROPERTY_NAMES.has(k)) throw new ConfigError(`property name "${k}" is reserved by RocketMQ`)
    properties[k] = v
  }
  if (message.tags !== undefined) {
    if (typeof message.tags !== 'string' || message.tags === '' || message.tags.includes('||')) {
      throw new ConfigError(`tag "${String(message.tags)}" must be a non-empty string without "||"`)
    }
    properties[Property.TAGS] = message.tags
  }
  if (message.keys !== undefined) {
    const keys = typeof message.keys === 'string' ? [message.keys] : [...message.keys]
    if (keys.some((k) => typeof k !== 'string' || k === ''))
      throw new ConfigError('message keys must be non-empty strings')
    properties[Property.KEYS] = keys.join(' ')
  }
  if (message.delayLevel !== undefined) {
    if (!Number.isInteger(message.delayLevel) || message.delayLevel < 1) {
      throw new ConfigError(`delayLevel must be an integer >= 1, got ${String(message.delayLevel)}`)
    }
    properties[Property.DELAY_TIME_LEVEL] = String(message.delayLevel)
  }
  if (message.deliverAt !== undefined) {
    const at = message.deliverAt instanceof Date ? message.deliverAt.getTime() : message.deliverAt
    if (!Number.isFinite(at)) throw new ConfigError('deliverAt must be a time')
    if (message.delayLevel !== undefined)
      throw new ConfigError('use either delayLevel or deliverAt, not both')
    properties[Property.TIMER_DELIVER_MS] = String(Math.max(at, now))
  }
  if (message.shardingKey !== undefined && typeof message.shardingKey !== 'string') {
    throw new ConfigError('shardingKey must be a string')
  }
  const flag = message.flag ?? 0
  if (!Number.isInteger(flag) || flag < -2147483648 || flag > 2147483647)
    throw new ConfigError('flag must be an int32')
  const uniqKey = uniqueKeys.create(now)
  properties[Property.UNIQ_CLIENT_MESSAGE_ID_KEYIDX] = uniqKey
  properties[Property.WAIT_STORE_MSG_OK] = 'true'
  const prepared: PreparedMessage = {
    topic: message.topic,
    body,
    properties,
    flag,
    uniqKey,
    shardingKey: message.shardingKey,
  }
  if (message.timestamp !== undefined) {
    const ts = message.timestamp instanceof Date ? message.timestamp.getTime() : message.timestamp
    if (!Number.isFinite(ts)) throw new ConfigError('timestamp must be a time')
    prepared.bornTimestamp = ts
  }
  return prepared
}

/** Topic names as the broker accepts them (TopicValidator): letters, digits, `%|-_`, ≤ 127 chars. */
export function validateTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic.length === 0)
    throw new ConfigError('a RocketMQ topic must be a non-empty string')
  if (topic.length > 127)
    throw new ConfigError(`topic "${topic.slice(0, 30)}…" is longer than 127 characters`)
  if (!/^[%|a-zA-Z0-9_-]+$/.test(topic))
    throw new ConfigError(`topic "${topic}" may only contain letters, digits and %|-_`)
}
