// Building the SEND operations of a producer: one message, one batch, or the chunks of a message
// larger than the broker's max message size. Each operation carries its pre-encoded SEND command,
// MessageMetadata and (compressed) payload, so a re-send after a reconnect writes the very same
// bytes with the same sequence ids — what broker-side deduplication relies on.

import { create, toBinary } from '@bufbuild/protobuf'
import { randomUUID } from 'node:crypto'
import { MessageTooLargeError } from '../../core/errors.ts'
import {
  plainSingleMetadataSize,
  singleMetadataSize,
  writePlainSingleMetadata,
  writeSingleMetadata,
} from '../protocol/fast-single-metadata.ts'
import type { SingleMetadataFields } from '../protocol/fast-single-metadata.ts'
import { CommandType, encodeCommand } from '../protocol/commands.ts'
import { compress } from '../protocol/compression.ts'
import {
  CompressionType,
  KeyValueSchema,
  MessageMetadataSchema,
} from '../protocol/generated/pulsar-api_pb.ts'
import type { MessageMetadata } from '../protocol/generated/pulsar-api_pb.ts'
import type { MessageId } from '../protocol/message-id.ts'
import type { PreparedMessage } from './message-builder.ts'

/** Settles the promise one send() returned. */
export interface Waiter {
  resolve: (id: MessageId) => void
  reject: (err: Error) => void
}

/** One SEND on the wire: a single message, a batch, or one chunk of a chunked message. */
export interface OpSend {
  sequenceId: bigint
  highestSequenceId: bigint
  numMessages: number
  command: Uint8Array
  metadata: Uint8Array
  payload: Uint8Array
  waiters: Waiter[]
  createdAt: number
  /** For chunks: index and count; the waiter settles on the last chunk. */
  chunk?: { id: number; count: number; first?: MessageId }
}

/**
 * A message with its sequence id, waiting to be sent alone or in a batch. It is its own waiter
 * (the resolve/reject of the promise send() returned), so queuing a message allocates no more
 * than this object and that promise; a batch's waiters are its items array itself.
 */
export interface Queued extends Waiter {
  message: PreparedMessage
  sequenceId: bigint
}

export interface OpContext {
  producerId: bigint
  producerName: string
  compression: CompressionType
  maxMessageSize: number
  chunking: boolean
}

/** Room kept for command and metadata when deciding whether a payload fits in one message. */
const HEADROOM = 512

/** The key Key_Shared dispatches by: the ordering key when set, else the partition key. */
export function batchKey(m: PreparedMessage): string {
  return m.orderingKey ? `o:${Buffer.from(m.orderingKey).toString('base64')}` : `p:${m.partitionKey ?? ''}`
}

function baseMetadata(ctx: OpContext, sequenceId: bigint, m: PreparedMessage | undefined): MessageMetadata {
  const md = create(MessageMetadataSchema, {
    producerName: ctx.producerName,
    sequenceId,
    publishTime: BigInt(Date.now()),
  })
  if (m) {
    if (m.properties.length > 0) md.properties = m.properties.map((p) => create(KeyValueSchema, p))
    if (m.partitionKey !== undefined) md.partitionKey = m.partitionKey
    if (m.partitionKeyB64) md.partitionKeyB64Encoded = true
    if (m.eventTime > 0n) md.eventTime = m.eventTime
    if (m.orderingKey) md.orderingKey = m.orderingKey
    if (m.deliverAtTime !== undefined) md.deliverAtTime = m.deliverAtTime
    if (m.nullValue) md.nullValue = true
  }
  return md
}

/** The operation for one message, or the operations of its chunks. */
export async function buildSingle(ctx: OpContext, q: Queued): Promise<OpSend[]> {
  const m = q.message
  const payload = await compress(ctx.compression, m.value)
  const md = baseMetadata(ctx, q.sequenceId, m)
  if (ctx.compression !== CompressionType.NONE) {
    md.compression = ctx.compression
    md.uncompressedSize = m.value.length
  }
  const max = ctx.maxMessageSize
  if (payload.length + HEADROOM > max) {
    // Delayed messages cannot be chunked (the broker would deliver chunks at different times).
    if (!ctx.chunking || m.deliverAtTime !== undefined) throw new MessageTooLargeError(payload.length, max)
    return chunks(ctx, q, md, payload, max)
  }
  return [
    {
      sequenceId: q.sequenceId,
      highestSequenceId: q.sequenceId,
      numMessages: 1,
      command: sendCommand(ctx, q.sequenceId, q.sequenceId, 1, false),
      metadata: toBinary(MessageMetadataSchema, md),
      payload,
      waiters: [q],
      createdAt: Date.now(),
    },
  ]
}

/** Chunks share the message's sequence id and uuid; only the last one settles the send. */
function chunks(ctx: OpContext, q: Queued, md: MessageMetadata, payload: Uint8Array, max: number): OpSend[] {
  md.uuid = `${ctx.producerName}-${q.sequenceId}-${randomUUID()}`
  md.totalChunkMsgSize = payload.length
  md.uncompressedSize = q.message.value.length
  const metaSize = toBinary(MessageMetadataSchema, md).length + 32
  const chunkSize = Math.max(1, max - metaSize - HEADROOM)
  const count = Math.ceil(payload.length / chunkSize)
  md.numChunksFromMsg = count
  const createdAt = Date.now()
  const ops: OpSend[] = []
  for (let i = 0; i < count; i++) {
    md.chunkId = i
    ops.push({
      sequenceId: q.sequenceId,
      highestSequenceId: q.sequenceId,
      numMessages: 1,
      command: sendCommand(ctx, q.sequenceId, q.sequenceId, 1, true),
      metadata: toBinary(MessageMetadataSchema, md),
      payload: payload.subarray(i * chunkSize, Math.min(payload.length, (i + 1) * chunkSize)),
      waiters: i === count - 1 ? [q] : [],
      createdAt,
      chunk: { id: i, count },
    })
  }
  return ops
}

/** A message whose single-message metadata is nothing but its payload size and sequence id. */
function isPlain(m: PreparedMessage): boolean {
  return (
    m.properties.length === 0 &&
    m.partitionKey === undefined &&
    !m.partitionKeyB64 &&
    m.eventTime <= 0n &&
    m.orderingKey === undefined &&
    !m.nullValue
  )
}

function singleFields(q: Queued): SingleMetadataFields {
  const m = q.message
  return {
    properties: m.properties,
    partitionKey: m.partitionKey,
    partitionKeyB64: m.partitionKeyB64,
    payloadSize: m.value.length,
    eventTime: m.eventTime > 0n ? m.eventTime : undefined,
    orderingKey: m.orderingKey,
    nullValue: m.nullValue,
    sequenceId: q.sequenceId,
  }
}

/**
 * The uncompressed payload of a batch: for each message `[metadata size u32][SingleMessageMetadata]
 * [value]`, written in one pass into one buffer sized by a first pass. Messages with nothing but a
 * value take a path that builds no fields object.
 */
export function encodeBatchPayload(items: readonly Queued[]): Buffer {
  const n = items.length
  let fields: (SingleMetadataFields | undefined)[] | undefined
  let total = 0
  for (let i = 0; i < n; i++) {
    const q = items[i]!
    const m = q.message
    if (isPlain(m)) total += 4 + plainSingleMetadataSize(m.value.length, q.sequenceId) + m.value.length
    else {
      fields ??= new Array<SingleMetadataFields | undefined>(n)
      const f = singleFields(q)
      fields[i] = f
      total += 4 + singleMetadataSize(f) + m.value.length
    }
  }
  const out = Buffer.allocUnsafe(total)
  let o = 0
  for (let i = 0; i < n; i++) {
    const q = items[i]!
    const value = q.message.value
    const f = fields?.[i]
    const at = o + 4
    const end =
      f === undefined
        ? writePlainSingleMetadata(out, at, value.length, q.sequenceId)
        : writeSingleMetadata(f, out, at)
    out.writeUInt32BE(end - at, o)
    out.set(value, end)
    o = end + value.length
  }
  if (o !== total) throw new Error(`batch payload size ${o} != ${total}`)
  return out
}

/** One operation for a batch: entries of single-message metadata and payload, compressed together. */
export async function buildBatch(ctx: OpContext, items: Queued[]): Promise<OpSend> {
  const raw = encodeBatchPayload(items)
  const payload = await compress(ctx.compression, raw)
  const first = items[0]!.sequenceId
  const last = items[items.length - 1]!.sequenceId
  const md = baseMetadata(ctx, first, undefined)
  md.numMessagesInBatch = items.length
  md.highestSequenceId = last
  // When every message shares a key, the entry carries it (the broker routes Key_Shared by it).
  const m0 = items[0]!.message
  if (m0.partitionKey !== undefined && items.every((q) => batchKey(q.message) === batchKey(m0))) {
    md.partitionKey = m0.partitionKey
    if (m0.partitionKeyB64) md.partitionKeyB64Encoded = true
    if (m0.orderingKey) md.orderingKey = m0.orderingKey
  }
  if (ctx.compression !== CompressionType.NONE) {
    md.compression = ctx.compression
    md.uncompressedSize = raw.length
  }
  return {
    sequenceId: first,
    highestSequenceId: last,
    numMessages: items.length,
    command: sendCommand(ctx, first, last, items.length, false),
    metadata: toBinary(MessageMetadataSchema, md),
    payload,
    waiters: items,
    createdAt: Date.now(),
  }
}

function sendCommand(
  ctx: OpContext,
  sequenceId: bigint,
  highest: bigint,
  numMessages: number,
  isChunk: boolean,
): Uint8Array {
  return encodeCommand({
    type: CommandType.SEND,
    send: {
      producerId: ctx.producerId,
      sequenceId,
      numMessages,
      ...(highest !== sequenceId ? { highestSequenceId: highest } : {}),
      ...(isChunk ? { isChunk: true } : {}),
    },
  })
}
