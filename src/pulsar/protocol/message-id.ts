// Message ids. A Pulsar message is identified by (ledger, entry, partition, batch index); a
// chunked message by its first and last chunk. Two serializations matter:
// - `toBytes`/`fromBytes`: the MessageIdData protobuf, which is what the Java client's
//   MessageId.toByteArray()/fromByteArray() use, so ids can be exchanged with Java programs;
// - `toString`/`parse`: `ledger:entry:partition:batchIndex` like the Java client's toString, used as
//   the broker-neutral `Message.id` of the common contract.

import { create, fromBinary, toBinary } from '@bufbuild/protobuf'
import { ConfigError } from '../../core/errors.ts'
import { MessageIdDataSchema } from './generated/pulsar-api_pb.ts'
import type { MessageIdData } from './generated/pulsar-api_pb.ts'

export class MessageId {
  readonly ledgerId: bigint
  readonly entryId: bigint
  readonly partition: number
  readonly batchIndex: number
  /** Number of messages in the batch this one came from (needed for batch-index acks). */
  readonly batchSize: number
  /** For chunked messages: the id of the first chunk (this id is the last chunk's). */
  readonly firstChunk: MessageId | undefined

  constructor(
    ledgerId: bigint,
    entryId: bigint,
    partition = -1,
    batchIndex = -1,
    batchSize = 0,
    firstChunk?: MessageId,
  ) {
    this.ledgerId = ledgerId
    this.entryId = entryId
    this.partition = partition
    this.batchIndex = batchIndex
    this.batchSize = batchSize
    this.firstChunk = firstChunk
  }

  static readonly earliest = new MessageId(-1n, -1n)
  /** The Java client's `MessageId.latest`: Long.MAX_VALUE for ledger and entry. */
  static readonly latest = new MessageId(0x7fffffffffffffffn, 0x7fffffffffffffffn)

  static fromData(d: MessageIdData, partitionOverride?: number): MessageId {
    const first = d.firstChunkMessageId ? MessageId.fromData(d.firstChunkMessageId) : undefined
    return new MessageId(
      BigInt.asIntN(64, d.ledgerId),
      BigInt.asIntN(64, d.entryId),
      partitionOverride ?? d.partition,
      d.batchIndex,
      d.batchSize,
      first,
    )
  }

  /** Plain MessageIdData for commands (SEEK, SUBSCRIBE start id, ACK). */
  toData(): MessageIdData {
    const data = create(MessageIdDataSchema, {
      ledgerId: BigInt.asUintN(64, this.ledgerId),
      entryId: BigInt.asUintN(64, this.entryId),
      partition: this.partition,
      batchIndex: this.batchIndex,
    })
    if (this.batchSize > 0) data.batchSize = this.batchSize
    if (this.firstChunk) data.firstChunkMessageId = this.firstChunk.toData()
    return data
  }

  toBytes(): Uint8Array {
    return toBinary(MessageIdDataSchema, this.toData())
  }

  static fromBytes(bytes: Uint8Array): MessageId {
    try {
      return MessageId.fromData(fromBinary(MessageIdDataSchema, bytes))
    } catch (cause) {
      throw new ConfigError('bytes are not a serialized Pulsar message id', { cause })
    }
  }

  toString(): string {
    return `${this.ledgerId}:${this.entryId}:${this.partition}:${this.batchIndex}`
  }

  /** Parses `ledger:entry[:partition[:batchIndex]]` (the Java toString form). */
  static parse(text: string): MessageId {
    const m = /^(-?\d+):(-?\d+)(?::(-?\d+))?(?::(-?\d+))?$/.exec(text)
    if (!m) throw new ConfigError(`"${text}" is not a Pulsar message id (ledger:entry:partition:batchIndex)`)
    return new MessageId(
      BigInt(m[1]!),
      BigInt(m[2]!),
      m[3] === undefined ? -1 : Number(m[3]),
      m[4] === undefined ? -1 : Number(m[4]),
    )
  }

  /** Same entry (ledger, entry, partition), ignoring the batch index. */
  sameEntry(other: MessageId): boolean {
    return (
      this.ledgerId === other.ledgerId && this.entryId === other.entryId && this.partition === other.partition
    )
  }

  /** Orders ids within one partition: ledger, entry, then batch index. */
  compare(other: MessageId): number {
    if (this.ledgerId !== other.ledgerId) return this.ledgerId < other.ledgerId ? -1 : 1
    if (this.entryId !== other.entryId) return this.entryId < other.entryId ? -1 : 1
    if (this.batchIndex !== other.batchIndex) return this.batchIndex < other.batchIndex ? -1 : 1
    return 0
  }

  equals(other: MessageId): boolean {
    return this.sameEntry(other) && this.batchIndex === other.batchIndex
  }

  /** Entry key for maps: one key per stored entry (a batch shares it). */
  entryKey(): string {
    return `${this.ledgerId}:${this.entryId}:${this.partition}`
  }
}
