// The embedded broker's stored record, which is also the Message handed to consumers and the
// SendResult handed to the producer: one object per message from send() to every consumer. It is
// created by the producer with offset -1, gets its offset when appended, and is immutable from
// then on, so every group receives the same object on first delivery and only a redelivery wraps
// it with its count. The id string is built only when someone reads it.
//
// Keys and values are kept as the producer passed them (strings encoded once, Uint8Arrays by
// reference, not copied): applications must not modify a buffer after sending it. Copying every
// value was the largest cost of the batch path.

import type { Bytes, Message } from '../core/contract.ts'
import { EMPTY_HEADERS } from '../core/message.ts'
import { ConfigError } from '../core/errors.ts'

const decoder = new TextDecoder()

export class StoredMessage implements Message {
  readonly topic: string
  readonly partition: number
  /** Assigned by the partition log on append; readonly to everyone else (Message is). */
  offset: number
  readonly key: Bytes | null
  readonly value: Bytes | null
  readonly headers: Readonly<Record<string, string>>
  readonly timestamp: number
  /** Bytes this record takes in the log, for retention and cache accounting. */
  readonly size: number

  constructor(
    topic: string,
    partition: number,
    offset: number,
    timestamp: number,
    key: Bytes | null,
    value: Bytes | null,
    headers: Readonly<Record<string, string>> | undefined,
    size: number,
  ) {
    this.topic = topic
    this.partition = partition
    this.offset = offset
    this.timestamp = timestamp
    this.key = key
    this.value = value
    this.headers = headers ?? EMPTY_HEADERS
    this.size = size
  }

  get id(): string {
    return formatMessageId(this.topic, this.partition, this.offset)
  }

  get redeliveryCount(): number {
    return 0
  }

  keyString(): string | null {
    return this.key === null ? null : decoder.decode(this.key)
  }

  valueString(): string | null {
    return this.value === null ? null : decoder.decode(this.value)
  }
}

/** A stored record delivered again: the same content with how often it was delivered before. */
export class RedeliveredMessage implements Message {
  readonly record: StoredMessage
  readonly redeliveryCount: number

  constructor(record: StoredMessage, redeliveryCount: number) {
    this.record = record
    this.redeliveryCount = redeliveryCount
  }

  get topic(): string {
    return this.record.topic
  }
  get partition(): number {
    return this.record.partition
  }
  get offset(): number {
    return this.record.offset
  }
  get id(): string {
    return this.record.id
  }
  get key(): Bytes | null {
    return this.record.key
  }
  get value(): Bytes | null {
    return this.record.value
  }
  get headers(): Readonly<Record<string, string>> {
    return this.record.headers
  }
  get timestamp(): number {
    return this.record.timestamp
  }
  keyString(): string | null {
    return this.record.keyString()
  }
  valueString(): string | null {
    return this.record.valueString()
  }
}

/** Rough size of a record, used for retention by bytes and the cache bound. */
export function recordSize(
  key: Bytes | null,
  value: Bytes | null,
  headers: Record<string, string> | undefined,
) {
  let size = 32 + (key?.length ?? 0) + (value?.length ?? 0)
  if (headers) for (const name in headers) size += name.length + headers[name]!.length + 8
  return size
}

/**
 * Message ids are `<topic>:<partition>:<offset>`; topic names cannot contain `:` (see topic.ts),
 * so the last two fields are always the numbers.
 */
export function formatMessageId(topic: string, partition: number, offset: number): string {
  return `${topic}:${partition}:${offset}`
}

export interface ParsedMessageId {
  /** Absent in the short form `<partition>:<offset>`, which a single-topic consumer accepts. */
  topic: string | undefined
  partition: number
  offset: number
}

export function parseMessageId(id: string): ParsedMessageId {
  if (typeof id !== 'string') throw new ConfigError('a message id must be a string like "orders:0:42"')
  const match = /^(?:(.+):)?(\d+):(\d+)$/.exec(id)
  if (!match) {
    throw new ConfigError(
      `"${id}" is not a message id of the embedded broker: expected <topic>:<partition>:<offset>, e.g. orders:0:42`,
    )
  }
  const partition = Number(match[2])
  const offset = Number(match[3])
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(partition)) {
    throw new ConfigError(`message id "${id}" has a partition or offset out of range`)
  }
  return { topic: match[1], partition, offset }
}
