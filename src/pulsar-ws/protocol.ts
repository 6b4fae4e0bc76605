// The JSON frames of Pulsar's WebSocket API (the `/ws/v2/...` endpoints of the broker's web
// service), checked field by field: a frame the server sends that does not have the documented
// shape is a ProtocolError, never a crash or a silently wrong message.
//
// Producer → server (one text frame per message):
//   { payload: base64, properties?: {k: v}, context?: string, key?: string,
//     replicationClusters?: string[], eventTime?: ISO-8601, deliverAt?: ms, deliverAfterMs?: ms }
// Server → producer (one per message, in completion order, NOT send order — matched by context):
//   { result: "ok", messageId: base64, context }  |  { result: "send-error:<code>", errorMsg, context }
// Server → consumer / reader:
//   { messageId: base64, payload: base64, properties, publishTime: ISO, redeliveryCount,
//     eventTime?: ISO, key?: string, encryptionContext?: {…} }   or, answering isEndOfTopic,
//   { endOfTopic: boolean }
// Consumer → server: { messageId } (ack), { type: "negativeAcknowledge", messageId },
//   { type: "permit", permitMessages: n } (pull mode), { type: "unsubscribe" }, { type: "isEndOfTopic" }.
// The message id is the MessageIdData protobuf the Java client's MessageId.toByteArray() writes.

import { ProtocolError } from '../core/errors.ts'
import type { EncryptionContext, EncryptionKeyInfo } from '../pulsar/protocol/encryption-context.ts'

/** The WebSocket service's own error codes (`send-error:<code>` in producer acks). */
export const WS_ERROR_NAMES: Readonly<Record<number, string>> = {
  1: 'FailedToCreateProducer',
  2: 'FailedToSubscribe',
  3: 'FailedToDeserializeFromJSON',
  4: 'FailedToSerializeToJSON',
  5: 'AuthenticationError',
  6: 'NotAuthorizedError',
  7: 'PayloadEncodingError',
  8: 'UnknownError',
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Decodes standard base64 exactly (Buffer.from is lenient and would skip garbage silently). */
export function decodeBase64(text: string, what: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new ProtocolError(`Pulsar WebSocket ${what} is not valid base64`)
  }
  const bytes = Buffer.from(text, 'base64')
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** What a producer sends for one message (payload already base64). */
export interface SendFrame {
  payload: string
  context: string
  properties?: Readonly<Record<string, string>>
  key?: string
  replicationClusters?: readonly string[]
  /** ISO-8601. */
  eventTime?: string
  /** Epoch ms: deliver no earlier than this (Shared subscriptions). */
  deliverAt?: number
  deliverAfterMs?: number
}

export function encodeSendFrame(frame: SendFrame): string {
  return JSON.stringify(frame)
}

export type ProducerAck =
  | { ok: true; messageId: string; context: string | undefined }
  | { ok: false; code: number; errorName: string; message: string; context: string | undefined }

function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new ProtocolError(`Pulsar WebSocket ${what} is not JSON`, { cause })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProtocolError(`Pulsar WebSocket ${what} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

function optionalString(o: Record<string, unknown>, field: string, what: string): string | undefined {
  const v = o[field]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new ProtocolError(`Pulsar WebSocket ${what}: "${field}" is not a string`)
  return v
}

export function decodeProducerAck(text: string): ProducerAck {
  const o = parseObject(text, 'producer ack')
  const result = o.result
  const context = optionalString(o, 'context', 'producer ack')
  if (result === 'ok') {
    const messageId = optionalString(o, 'messageId', 'producer ack')
    if (messageId === undefined)
      throw new ProtocolError('Pulsar WebSocket producer ack "ok" without messageId')
    decodeBase64(messageId, 'message id')
    return { ok: true, messageId, context }
  }
  const m = typeof result === 'string' ? /^send-error:(\d+)$/.exec(result) : null
  if (!m)
    throw new ProtocolError(`Pulsar WebSocket producer ack with unknown result ${JSON.stringify(result)}`)
  const code = Number(m[1])
  return {
    ok: false,
    code,
    errorName: WS_ERROR_NAMES[code] ?? `WebSocketError${code}`,
    message: optionalString(o, 'errorMsg', 'producer ack') ?? '',
    context,
  }
}

export type { EncryptionContext, EncryptionKeyInfo }

/** A message as the consumer and reader endpoints deliver it, payload decoded. */
export interface DeliveredFrame {
  kind: 'message'
  messageId: string
  payload: Uint8Array
  properties: Record<string, string>
  /** Epoch ms. */
  publishTime: number
  /** Epoch ms, when the producer set one. */
  eventTime: number | undefined
  redeliveryCount: number
  key: string | undefined
  /** Only on encrypted messages delivered undecrypted. */
  encryptionContext: EncryptionContext | undefined
}

export type ConsumerFrame = DeliveredFrame | { kind: 'endOfTopic'; endOfTopic: boolean }

function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  if (!Number.isFinite(ms)) throw new ProtocolError(`Pulsar WebSocket message: "${field}" is not a date`)
  return ms
}

function optionalCount(o: Record<string, unknown>, field: string, what: string): number | undefined {
  const v = o[field]
  if (v === undefined || v === null) return undefined
  if (!Number.isSafeInteger(v) || (v as number) < 0)
    throw new ProtocolError(`Pulsar WebSocket ${what}: "${field}" is not a non-negative integer`)
  return v as number
}

function stringMap(value: unknown, what: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (value === undefined || value === null) return out
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ProtocolError(`Pulsar WebSocket ${what} is not an object`)
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new ProtocolError(`Pulsar WebSocket ${what}: "${k}" is not a string`)
    out[k] = v
  }
  return out
}

function decodeEncryptionContext(value: unknown): EncryptionContext | undefined {
  if (value === undefined || value === null) return undefined
  const what = 'message encryptionContext'
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ProtocolError(`Pulsar WebSocket ${what} is not an object`)
  const o = value as Record<string, unknown>
  const keys: Record<string, EncryptionKeyInfo> = {}
  if (o.keys !== undefined && o.keys !== null) {
    if (typeof o.keys !== 'object' || Array.isArray(o.keys))
      throw new ProtocolError(`Pulsar WebSocket ${what}: "keys" is not an object`)
    for (const [name, key] of Object.entries(o.keys as Record<string, unknown>)) {
      if (key === null || typeof key !== 'object' || Array.isArray(key))
        throw new ProtocolError(`Pulsar WebSocket ${what}: key "${name}" is not an object`)
      const k = key as Record<string, unknown>
      keys[name] = {
        keyValue: decodeBase64(optionalString(k, 'keyValue', what) ?? '', `encryption key "${name}"`),
        metadata: stringMap(k.metadata, `${what} key "${name}" metadata`),
      }
    }
  }
  return {
    keys,
    param: decodeBase64(optionalString(o, 'param', what) ?? '', 'encryption param'),
    algorithm: optionalString(o, 'algorithm', what) || undefined,
    compressionType: optionalString(o, 'compressionType', what),
    uncompressedMessageSize: optionalCount(o, 'uncompressedMessageSize', what),
    batchSize: optionalCount(o, 'batchSize', what),
  }
}

export function decodeConsumerFrame(text: string): ConsumerFrame {
  const o = parseObject(text, 'consumer frame')
  if (o.messageId === undefined && typeof o.endOfTopic === 'boolean') {
    return { kind: 'endOfTopic', endOfTopic: o.endOfTopic }
  }
  const what = 'message'
  const messageId = optionalString(o, 'messageId', what)
  if (messageId === undefined) throw new ProtocolError('Pulsar WebSocket message without messageId')
  decodeBase64(messageId, 'message id')
  const payloadText = optionalString(o, 'payload', what) ?? ''
  const properties: Record<string, string> = {}
  if (o.properties !== undefined && o.properties !== null) {
    if (typeof o.properties !== 'object' || Array.isArray(o.properties)) {
      throw new ProtocolError('Pulsar WebSocket message: "properties" is not an object')
    }
    for (const [k, v] of Object.entries(o.properties as Record<string, unknown>)) {
      if (typeof v !== 'string')
        throw new ProtocolError(`Pulsar WebSocket message: property "${k}" is not a string`)
      properties[k] = v
    }
  }
  const publishTime = parseTime(optionalString(o, 'publishTime', what), 'publishTime')
  if (publishTime === undefined) throw new ProtocolError('Pulsar WebSocket message without publishTime')
  const redeliveryCount = o.redeliveryCount ?? 0
  if (!Number.isInteger(redeliveryCount) || (redeliveryCount as number) < 0) {
    throw new ProtocolError('Pulsar WebSocket message: "redeliveryCount" is not a non-negative integer')
  }
  return {
    kind: 'message',
    messageId,
    payload: decodeBase64(payloadText, 'payload'),
    properties,
    publishTime,
    eventTime: parseTime(optionalString(o, 'eventTime', what), 'eventTime'),
    redeliveryCount: redeliveryCount as number,
    key: optionalString(o, 'key', what),
    encryptionContext: decodeEncryptionContext(o.encryptionContext),
  }
}

/** Consumer and reader commands. */
export const commands = {
  ack: (messageId: string): string => JSON.stringify({ messageId }),
  nack: (messageId: string): string => JSON.stringify({ type: 'negativeAcknowledge', messageId }),
  permit: (permitMessages: number): string => JSON.stringify({ type: 'permit', permitMessages }),
  unsubscribe: (): string => JSON.stringify({ type: 'unsubscribe' }),
  isEndOfTopic: (): string => JSON.stringify({ type: 'isEndOfTopic' }),
} as const
