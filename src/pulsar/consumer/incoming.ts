// Turns one MESSAGE frame into the messages it carries: checks the checksum, decompresses (bounded
// by the client's maxFrameBytes), splits batches, skips batch entries that were already
// acknowledged (ack_set) or that lie before a seek/start position. Chunks are reassembled first, in
// chunks.ts.

import { isFieldSet } from '@bufbuild/protobuf'
import { ProtocolError } from '../../core/errors.ts'
import { decodeBatch } from '../protocol/batch.ts'
import { decompress } from '../protocol/compression.ts'
import type { DecodedFrame } from '../protocol/frame.ts'
import { MessageMetadataSchema } from '../protocol/generated/pulsar-api_pb.ts'
import type { MessageMetadata } from '../protocol/generated/pulsar-api_pb.ts'
import { MessageId } from '../protocol/message-id.ts'
import { encryptionContext, isEncrypted } from './crypto.ts'
import { PulsarMessage } from './message.ts'

const EMPTY = new Uint8Array(0)

export interface IncomingContext {
  topic: string
  partition: number
  maxMessageSize: number
  /** The client's bound on one message's decompressed size (its maxFrameBytes). */
  maxDecompressedBytes: number
  /** Batch entries before this id are skipped (reader/seek inside a batch). */
  startAfter?: MessageId
  startInclusive?: boolean
}

function keyBytes(key: string | undefined, b64: boolean, present: boolean): Uint8Array | null {
  if (!present || key === undefined) return null
  return b64 ? new Uint8Array(Buffer.from(key, 'base64')) : new TextEncoder().encode(key)
}

/** Shared by every message without properties (most of them): one object less per message. */
const NO_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({})

function props(list: readonly { key: string; value: string }[]): Readonly<Record<string, string>> {
  if (list.length === 0) return NO_PROPERTIES
  const out: Record<string, string> = {}
  for (const p of list) out[p.key] = p.value
  return out
}

/** Bit i of the ack set set means index i is still unacknowledged (java.util.BitSet words). */
function unackedInAckSet(ackSet: bigint[], index: number): boolean {
  if (ackSet.length === 0) return true
  const word = ackSet[index >> 6]
  if (word === undefined) return false
  return ((BigInt.asUintN(64, word) >> BigInt(index & 63)) & 1n) === 1n
}

export async function decodeMessages(frame: DecodedFrame, ctx: IncomingContext): Promise<PulsarMessage[]> {
  const m = frame.command.message!
  const md = frame.metadata
  if (!md || !frame.payload) throw new ProtocolError('MESSAGE without payload')
  const idData = m.messageId
  const base = MessageId.fromData(idData!, ctx.partition)
  const isChunk = md.numChunksFromMsg > 1
  if (isEncrypted(md)) return encryptedMessage(frame, md, base, ctx)
  let payload = frame.payload
  if (!isChunk && md.compression !== 0) {
    payload = await decompress(md.compression, payload, md.uncompressedSize, ctx.maxDecompressedBytes)
  }
  const common = {
    topic: ctx.topic,
    partition: ctx.partition,
    publishTime: Number(md.publishTime),
    producerName: md.producerName,
    redeliveryCount: m.redeliveryCount,
    ...(frame.brokerEntryMetadata?.index !== undefined
      ? { brokerIndex: frame.brokerEntryMetadata.index }
      : {}),
  }
  const hasBatch = md.numMessagesInBatch > 1 || isBatchEncoded(md)
  if (!hasBatch) {
    // The broker starts a non-durable subscription (and a seek) at the start entry itself; an
    // exclusive start means the client drops that entry, as the Java client does.
    const start = ctx.startAfter
    if (start && !ctx.startInclusive && start.batchIndex < 0 && base.sameEntry(start)) return []
    return [
      new PulsarMessage({
        ...common,
        messageId: base,
        key: md.partitionKey !== '' ? keyBytes(md.partitionKey, md.partitionKeyB64Encoded, true) : null,
        partitionKey: md.partitionKey === '' ? undefined : md.partitionKey,
        value: md.nullValue ? null : payload,
        properties: props(md.properties),
        eventTime: Number(md.eventTime),
        sequenceId: md.sequenceId,
        orderingKey: md.orderingKey.length > 0 ? md.orderingKey : undefined,
      }),
    ]
  }
  const entries = decodeBatch(payload, md.numMessagesInBatch)
  const out: PulsarMessage[] = []
  const ackSet = m.ackSet
  const start = ctx.startAfter
  const startInEntry = start !== undefined && start.batchIndex >= 0 && base.sameEntry(start)
  const publishTime = common.publishTime
  const brokerIndex = common.brokerIndex
  // One loop, no per-message closure or spread: this runs once per message at full rate.
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!
    const s = e.metadata
    if (s.compactedOut) continue
    if (!unackedInAckSet(ackSet, i)) continue
    if (startInEntry && (i < start.batchIndex || (i === start.batchIndex && !ctx.startInclusive))) continue
    out.push(
      new PulsarMessage({
        topic: ctx.topic,
        partition: ctx.partition,
        publishTime,
        producerName: md.producerName,
        redeliveryCount: m.redeliveryCount,
        brokerIndex,
        messageId: new MessageId(base.ledgerId, base.entryId, ctx.partition, i, entries.length),
        key: s.partitionKey !== '' ? keyBytes(s.partitionKey, s.partitionKeyB64Encoded, true) : null,
        partitionKey: s.partitionKey === '' ? undefined : s.partitionKey,
        value: s.nullValue ? null : e.payload.length === 0 ? EMPTY : e.payload,
        properties: props(s.properties),
        eventTime: Number(s.eventTime),
        sequenceId: s.sequenceId !== 0n ? s.sequenceId : md.sequenceId + BigInt(i),
        orderingKey: s.orderingKey.length > 0 ? s.orderingKey : undefined,
      }),
    )
  }
  return out
}

/**
 * An encrypted entry cannot be decompressed or split (the ciphertext covers the compressed batch):
 * it becomes one message holding the raw payload and its encryption context, flagged, for the
 * partition consumer's cryptoFailureAction to decide about.
 */
function encryptedMessage(
  frame: DecodedFrame,
  md: MessageMetadata,
  id: MessageId,
  ctx: IncomingContext,
): PulsarMessage[] {
  const m = frame.command.message!
  const start = ctx.startAfter
  // As for an unbatched entry: an exclusive start at this entry skips it.
  if (start && !ctx.startInclusive && start.batchIndex < 0 && start.sameEntry(id)) return []
  const batched = md.numMessagesInBatch > 1 || isBatchEncoded(md)
  return [
    new PulsarMessage({
      topic: ctx.topic,
      partition: ctx.partition,
      publishTime: Number(md.publishTime),
      producerName: md.producerName,
      redeliveryCount: m.redeliveryCount,
      messageId: id,
      key: md.partitionKey !== '' ? keyBytes(md.partitionKey, md.partitionKeyB64Encoded, true) : null,
      partitionKey: md.partitionKey === '' ? undefined : md.partitionKey,
      value: frame.payload!,
      properties: props(md.properties),
      eventTime: Number(md.eventTime),
      sequenceId: md.sequenceId,
      orderingKey: md.orderingKey.length > 0 ? md.orderingKey : undefined,
      encryptionContext: encryptionContext(md, batched),
    }),
  ]
}

/** The Java client frames even a batch of one as a batch; num_messages_in_batch is then set. */
function isBatchEncoded(md: MessageMetadata): boolean {
  return isFieldSet(md, MessageMetadataSchema.field.numMessagesInBatch)
}
