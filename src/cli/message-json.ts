// The JSON form of a message, one object per line, shared by `consume --format json` (writing)
// and `produce --format json` (reading), so that one command's output is the other's input:
//
//   {"topic":"t","partition":0,"offset":5,"key":"k","value":"text","headers":{},"timestamp":1767225600000}
//
// Text that is valid UTF-8 is printed as a JSON string. Bytes that are not are printed as base64
// with "encoding":"base64" (for the value) or "keyEncoding":"base64" (for the key), so that no
// byte is ever lost to a replacement character.

import { Buffer } from 'node:buffer'
import type { Bytes, Message, MessageInput } from '../core/contract.ts'
import { ConfigError } from '../core/errors.ts'
import { strictUtf8 } from '../core/message.ts'

export interface JsonMessage {
  topic: string
  partition: number
  offset: number
  key: string | null
  value: string | null
  headers: Record<string, string>
  timestamp: number
  encoding?: 'base64'
  keyEncoding?: 'base64'
}

interface Encoded {
  text: string | null
  base64: boolean
}

function encodeBytes(bytes: Bytes | null): Encoded {
  if (bytes === null) return { text: null, base64: false }
  const text = strictUtf8(bytes)
  if (text !== undefined) return { text, base64: false }
  return {
    text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
    base64: true,
  }
}

export function messageToJson(message: Message): JsonMessage {
  const key = encodeBytes(message.key)
  const value = encodeBytes(message.value)
  const json: JsonMessage = {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: key.text,
    value: value.text,
    headers: { ...message.headers },
    timestamp: message.timestamp,
  }
  if (value.base64) json.encoding = 'base64'
  if (key.base64) json.keyEncoding = 'base64'
  return json
}

/** Fields `consume` prints that say where a message was; accepted on input and not used. */
const POSITION_FIELDS = new Set(['topic', 'partition', 'offset', 'id', 'redeliveryCount'])
const INPUT_FIELDS = new Set(['key', 'value', 'headers', 'timestamp', 'encoding', 'keyEncoding'])

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function decodeField(raw: unknown, encoding: unknown, field: string): string | Bytes | null {
  if (raw === null) return null
  if (typeof raw !== 'string') throw new ConfigError(`"${field}" must be a string or null`)
  if (encoding === undefined || encoding === 'utf8') return raw
  if (encoding !== 'base64') throw new ConfigError(`encoding of "${field}" must be "base64" or "utf8"`)
  if (!BASE64.test(raw)) throw new ConfigError(`"${field}" is not valid base64`)
  return new Uint8Array(Buffer.from(raw, 'base64'))
}

/**
 * One input line of `produce --format json` → a MessageInput. Throws ConfigError saying what is
 * wrong with the line; unknown fields are rejected so that a typo such as "vlaue" is not silently
 * sent as an empty message.
 */
export function parseJsonMessage(line: string): MessageInput {
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch (error) {
    throw new ConfigError(`not valid JSON (${(error as Error).message})`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('expected a JSON object like {"key":"k","value":"v","headers":{}}')
  }
  const object = parsed as Record<string, unknown>
  for (const field of Object.keys(object)) {
    if (!INPUT_FIELDS.has(field) && !POSITION_FIELDS.has(field)) {
      throw new ConfigError(`unknown field "${field}" (expected key, value, headers, timestamp, encoding)`)
    }
  }
  if (!('value' in object)) throw new ConfigError('missing "value" (use null for a tombstone)')
  const message: MessageInput = { value: decodeField(object.value, object.encoding, 'value') }
  if (object.key !== undefined) message.key = decodeField(object.key, object.keyEncoding, 'key')
  if (object.headers !== undefined) {
    const headers = object.headers
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
      throw new ConfigError('"headers" must be an object of strings')
    }
    for (const [name, v] of Object.entries(headers)) {
      if (typeof v !== 'string') throw new ConfigError(`header "${name}" must be a string`)
    }
    message.headers = headers as Record<string, string>
  }
  if (object.timestamp !== undefined) message.timestamp = parseTimestamp(object.timestamp)
  return message
}

function parseTimestamp(raw: unknown): number {
  const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : NaN
  if (!Number.isFinite(ms) || ms < 0) {
    throw new ConfigError('"timestamp" must be milliseconds since the epoch or an ISO time')
  }
  return ms
}
