// Turns what the application sends into MessageMetadata / SingleMessageMetadata fields. Keys that
// are not valid UTF-8 travel base64-encoded with `partition_key_b64_encoded`, as the Java client
// sends byte keys, so a Java consumer gets the same key bytes back.

import { toOptionalBytes, strictUtf8 } from '../../core/message.ts'
import { ConfigError } from '../../core/errors.ts'
import type { Bytes } from '../../core/contract.ts'

export interface PulsarMessageInput {
  key?: string | Bytes | null
  value: string | Bytes | null
  /** Pulsar message properties. */
  headers?: Record<string, string>
  properties?: Record<string, string>
  /** Event time (ms or Date). */
  timestamp?: number | Date
  eventTime?: number | Date
  /** Key used for Key_Shared ordering instead of the partition key. */
  orderingKey?: string | Bytes
  /** Deliver no earlier than this time (ms since epoch or Date); Shared/Key_Shared subscriptions. */
  deliverAt?: number | Date
  /** Deliver no earlier than this many ms from now. */
  deliverAfterMs?: number
  /** Explicit sequence id (deduplication with application-chosen ids). */
  sequenceId?: number | bigint
  partition?: number
}

export interface PreparedMessage {
  value: Uint8Array
  nullValue: boolean
  partitionKey?: string
  partitionKeyB64: boolean
  /** Raw key bytes for hashing and for the consumer side. */
  keyBytes?: Uint8Array
  properties: readonly { key: string; value: string }[]
  eventTime: bigint
  orderingKey?: Uint8Array
  deliverAtTime?: bigint
  sequenceId?: bigint
  partition?: number
}

const EMPTY = new Uint8Array(0)
const NO_PROPERTIES: readonly { key: string; value: string }[] = Object.freeze([])

function addProperties(props: { key: string; value: string }[], source: unknown): void {
  if (source === null || typeof source !== 'object')
    throw new ConfigError('message properties must be an object of strings')
  for (const [k, v] of Object.entries(source)) {
    if (typeof v !== 'string') throw new ConfigError(`property "${k}" must be a string`)
    props.push({ key: k, value: v })
  }
}

function ms(value: number | Date, what: string): number {
  const n = value instanceof Date ? value.getTime() : value
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
    throw new ConfigError(`${what} must be a non-negative time, got ${String(value)}`)
  return Math.floor(n)
}

export function prepareMessage(input: PulsarMessageInput): PreparedMessage {
  if (input === null || typeof input !== 'object')
    throw new ConfigError('a message must be an object like { key, value, properties }')
  const { value } = input
  if (value !== null && typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw new ConfigError('message value must be a string, a Uint8Array/Buffer or null')
  }
  let props = NO_PROPERTIES
  if (input.headers !== undefined || input.properties !== undefined) {
    const list: { key: string; value: string }[] = []
    if (input.headers !== undefined) addProperties(list, input.headers)
    if (input.properties !== undefined) addProperties(list, input.properties)
    props = list
  }
  const out: PreparedMessage = {
    value: toOptionalBytes(value) ?? EMPTY,
    nullValue: value === null,
    partitionKeyB64: false,
    properties: props,
    eventTime: 0n,
  }
  const key = input.key
  if (key !== undefined && key !== null) {
    if (typeof key === 'string') {
      out.partitionKey = key
      out.keyBytes = new TextEncoder().encode(key)
    } else if (key instanceof Uint8Array) {
      const text = strictUtf8(key)
      out.keyBytes = key
      if (text !== undefined) out.partitionKey = text
      else {
        out.partitionKey = Buffer.from(key).toString('base64')
        out.partitionKeyB64 = true
      }
    } else throw new ConfigError('message key must be a string, a Uint8Array/Buffer, null or undefined')
  }
  const eventTime = input.eventTime ?? input.timestamp
  if (eventTime !== undefined) out.eventTime = BigInt(ms(eventTime, 'eventTime'))
  if (input.orderingKey !== undefined) {
    out.orderingKey =
      typeof input.orderingKey === 'string' ? new TextEncoder().encode(input.orderingKey) : input.orderingKey
  }
  if (input.deliverAt !== undefined) out.deliverAtTime = BigInt(ms(input.deliverAt, 'deliverAt'))
  else if (input.deliverAfterMs !== undefined)
    out.deliverAtTime = BigInt(Date.now() + ms(input.deliverAfterMs, 'deliverAfterMs'))
  if (input.sequenceId !== undefined) {
    const s = BigInt(input.sequenceId)
    if (s < 0n) throw new ConfigError('sequenceId must be >= 0')
    out.sequenceId = s
  }
  if (input.partition !== undefined) {
    if (!Number.isInteger(input.partition) || input.partition < 0)
      throw new ConfigError('partition must be a non-negative integer')
    out.partition = input.partition
  }
  return out
}
