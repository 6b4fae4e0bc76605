// The one Message implementation every driver hands out, and the conversions of MessageInput.

import type { Bytes, Message, MessageInput } from './contract.ts'
import { ConfigError } from './errors.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const strictDecoder = new TextDecoder('utf-8', { fatal: true })

export const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({})

export function toBytes(value: string | Bytes): Bytes {
  return typeof value === 'string' ? encoder.encode(value) : value
}

export function toOptionalBytes(value: string | Bytes | null | undefined): Bytes | null {
  return value === null || value === undefined ? null : toBytes(value)
}

export function utf8(bytes: Bytes): string {
  return decoder.decode(bytes)
}

/** The text of bytes that are valid UTF-8, or undefined when they are not. */
export function strictUtf8(bytes: Bytes): string | undefined {
  try {
    return strictDecoder.decode(bytes)
  } catch {
    return undefined
  }
}

export function timestampOf(value: number | Date | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const ms = value instanceof Date ? value.getTime() : value
  if (!Number.isFinite(ms)) throw new ConfigError(`invalid message timestamp ${String(value)}`)
  return ms
}

/** Checks a MessageInput from user code before it is buffered, so bad input fails at the call. */
export function validateMessageInput(message: MessageInput): void {
  if (message === null || typeof message !== 'object') {
    throw new ConfigError('a message must be an object like { key, value, headers }')
  }
  const { value, key, headers, partition } = message
  if (value !== null && typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw new ConfigError('message value must be a string, a Uint8Array/Buffer or null')
  }
  if (key !== undefined && key !== null && typeof key !== 'string' && !(key instanceof Uint8Array)) {
    throw new ConfigError('message key must be a string, a Uint8Array/Buffer, null or undefined')
  }
  if (headers !== undefined) {
    if (headers === null || typeof headers !== 'object')
      throw new ConfigError('message headers must be an object')
    for (const [k, v] of Object.entries(headers)) {
      if (typeof v !== 'string') throw new ConfigError(`header "${k}" must be a string`)
    }
  }
  if (partition !== undefined && (!Number.isInteger(partition) || partition < 0)) {
    throw new ConfigError(`message partition must be a non-negative integer, got ${String(partition)}`)
  }
}

export interface MessageFields {
  topic: string
  partition: number
  offset: number
  id: string
  key: Bytes | null
  value: Bytes | null
  headers?: Readonly<Record<string, string>>
  timestamp: number
  redeliveryCount?: number
}

class ReceivedMessage implements Message {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly id: string
  readonly key: Bytes | null
  readonly value: Bytes | null
  readonly headers: Readonly<Record<string, string>>
  readonly timestamp: number
  readonly redeliveryCount: number

  constructor(f: MessageFields) {
    this.topic = f.topic
    this.partition = f.partition
    this.offset = f.offset
    this.id = f.id
    this.key = f.key
    this.value = f.value
    this.headers = f.headers ?? EMPTY_HEADERS
    this.timestamp = f.timestamp
    this.redeliveryCount = f.redeliveryCount ?? 0
  }

  keyString(): string | null {
    return this.key === null ? null : decoder.decode(this.key)
  }

  valueString(): string | null {
    return this.value === null ? null : decoder.decode(this.value)
  }
}

export function createMessage(fields: MessageFields): Message {
  return new ReceivedMessage(fields)
}
