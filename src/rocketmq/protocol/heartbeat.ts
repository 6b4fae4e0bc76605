// HEART_BEAT body (HeartbeatData, JSON): who this client is, which producer groups it has and,
// per consumer group, how it consumes and what it subscribes to. The broker keeps group
// membership from it (rebalance reads GET_CONSUMER_LIST_BY_GROUP) and filters pulls by the
// subscription registered here.

import { ConfigError } from '../../core/errors.ts'
import { javaStringHashCode } from '../../core/murmur3.ts'

export const ConsumeFromWhere = {
  LAST_OFFSET: 'CONSUME_FROM_LAST_OFFSET',
  FIRST_OFFSET: 'CONSUME_FROM_FIRST_OFFSET',
  TIMESTAMP: 'CONSUME_FROM_TIMESTAMP',
} as const
export type ConsumeFromWhere = (typeof ConsumeFromWhere)[keyof typeof ConsumeFromWhere]

export type MessageModel = 'CLUSTERING' | 'BROADCASTING'
export type ExpressionType = 'TAG' | 'SQL92'

export interface Subscription {
  topic: string
  expression: string
  expressionType: ExpressionType
  /** Broker-side version of the subscription; a newer one replaces the older. */
  subVersion: number
}

export interface SubscriptionData {
  classFilterMode: false
  topic: string
  subString: string
  tagsSet: string[]
  codeSet: number[]
  subVersion: number
  expressionType: ExpressionType
}

/** Splits a tag expression `a || b` the way the broker does; `*` or empty means every tag. */
export function parseTagExpression(expression: string): string[] {
  const trimmed = expression.trim()
  if (trimmed === '' || trimmed === '*') return []
  const tags = trimmed.split('||').map((t) => t.trim())
  if (tags.some((t) => t === '')) throw new ConfigError(`tag expression "${expression}" has an empty tag`)
  return tags
}

export function subscriptionData(s: Subscription): SubscriptionData {
  if (s.expressionType === 'SQL92') {
    if (s.expression.trim() === '') throw new ConfigError('an SQL92 filter expression must not be empty')
    return {
      classFilterMode: false,
      topic: s.topic,
      subString: s.expression,
      tagsSet: [],
      codeSet: [],
      subVersion: s.subVersion,
      expressionType: 'SQL92',
    }
  }
  const tags = parseTagExpression(s.expression)
  return {
    classFilterMode: false,
    topic: s.topic,
    subString: tags.length === 0 ? '*' : tags.join('||'),
    tagsSet: tags,
    codeSet: tags.map(javaStringHashCode),
    subVersion: s.subVersion,
    expressionType: 'TAG',
  }
}

export interface ConsumerData {
  groupName: string
  consumeType: 'CONSUME_PASSIVELY' | 'CONSUME_ACTIVELY'
  messageModel: MessageModel
  consumeFromWhere: ConsumeFromWhere
  subscriptionDataSet: SubscriptionData[]
  unitMode: false
}

export interface HeartbeatData {
  clientID: string
  producerDataSet: { groupName: string }[]
  consumerDataSet: ConsumerData[]
}

export function encodeHeartbeat(data: HeartbeatData): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(data))
}

/** Does a message's TAGS property pass a tag subscription? (the client re-checks what the broker's hash filter let through) */
export function tagMatches(sub: SubscriptionData, tag: string | undefined): boolean {
  if (sub.expressionType !== 'TAG' || sub.tagsSet.length === 0) return true
  return tag !== undefined && sub.tagsSet.includes(tag)
}
