// A received Pulsar message: the common-contract Message plus what Pulsar adds (message id,
// properties, producer, sequence id, publish and event time, ordering key).

import type { Bytes, Message } from '../../core/contract.ts'
import type { MessageId } from '../protocol/message-id.ts'
import type { EncryptionContext } from './crypto.ts'

const decoder = new TextDecoder()

export interface PulsarMessageFields {
  topic: string
  partition: number
  messageId: MessageId
  key: Bytes | null
  /** The partition key as sent (base64 text when the key is bytes). */
  partitionKey: string | undefined
  value: Bytes | null
  properties: Readonly<Record<string, string>>
  publishTime: number
  eventTime: number
  producerName: string
  sequenceId: bigint
  redeliveryCount: number
  orderingKey: Bytes | undefined
  /** Broker entry metadata index, when the broker adds it. */
  brokerIndex?: bigint
  /** The ids of every chunk, for chunked messages (all are acknowledged together). */
  chunkIds?: MessageId[]
  /** Set on an encrypted message handed out undecrypted (cryptoFailureAction 'consume'). */
  encryptionContext?: EncryptionContext
}

export class PulsarMessage implements Message {
  readonly topic: string
  readonly partition: number
  readonly messageId: MessageId
  readonly key: Bytes | null
  readonly partitionKey: string | undefined
  readonly value: Bytes | null
  readonly properties: Readonly<Record<string, string>>
  readonly publishTime: number
  readonly eventTime: number
  readonly producerName: string
  readonly sequenceId: bigint
  readonly redeliveryCount: number
  readonly orderingKey: Bytes | undefined
  readonly brokerIndex: bigint | undefined
  readonly chunkIds: MessageId[] | undefined
  /** How the message was encrypted, when it is (then `value` is the ciphertext). */
  readonly encryptionContext: EncryptionContext | undefined

  constructor(f: PulsarMessageFields) {
    this.topic = f.topic
    this.partition = f.partition
    this.messageId = f.messageId
    this.key = f.key
    this.partitionKey = f.partitionKey
    this.value = f.value
    this.properties = f.properties
    this.publishTime = f.publishTime
    this.eventTime = f.eventTime
    this.producerName = f.producerName
    this.sequenceId = f.sequenceId
    this.redeliveryCount = f.redeliveryCount
    this.orderingKey = f.orderingKey
    this.brokerIndex = f.brokerIndex
    this.chunkIds = f.chunkIds
    this.encryptionContext = f.encryptionContext
  }

  /**
   * True for an end-to-end encrypted message delivered undecrypted: `value` is then the ciphertext
   * (compressed before encryption, a whole batch if it was one), never the plaintext.
   */
  get encrypted(): boolean {
    return this.encryptionContext !== undefined
  }

  get id(): string {
    return this.messageId.toString()
  }

  /** Pulsar has no per-partition offset; the broker entry index when enabled, else -1. */
  get offset(): number {
    return this.brokerIndex === undefined ? -1 : Number(this.brokerIndex)
  }

  get headers(): Readonly<Record<string, string>> {
    return this.properties
  }

  /** Event time when the producer set one, else publish time. */
  get timestamp(): number {
    return this.eventTime > 0 ? this.eventTime : this.publishTime
  }

  keyString(): string | null {
    return this.key === null ? null : decoder.decode(this.key)
  }

  valueString(): string | null {
    return this.value === null ? null : decoder.decode(this.value)
  }
}
