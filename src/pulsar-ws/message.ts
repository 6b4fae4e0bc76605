// A message as a WebSocket consumer or reader receives it, decoded (Stargate's %Stargate.Message{}):
// where it came from (persistence, tenant, namespace, topic, partition), its id, key, properties,
// publish and event time as Dates, redelivery count and the payload bytes.
//
// Binary keys: the WebSocket API carries keys as strings only. A producer of this driver that sends
// a key which is not valid UTF-8 sends it base64-encoded with the property KEY_ENCODING_PROPERTY set
// to "base64"; the consumer decodes it back and hides that property, so such keys round-trip.

import { strictUtf8, toBytes, utf8 } from '../core/message.ts'
import type { MessageId } from '../pulsar/protocol/message-id.ts'
import type { TopicAddress, Persistence } from './endpoint.ts'
import { messageIdFromWs } from './message-id.ts'
import type { DeliveredFrame, EncryptionContext } from './protocol.ts'
import { decodeBase64, encodeBase64 } from './protocol.ts'

export const KEY_ENCODING_PROPERTY = 'conduit-key-encoding'

/** A key as the WebSocket API can carry it: text as is, other bytes as base64 with a marker. */
export function encodeKey(key: string | Uint8Array): { key: string; marker: boolean } {
  if (typeof key === 'string') return { key, marker: false }
  const text = strictUtf8(key)
  if (text !== undefined) return { key: text, marker: false }
  return { key: encodeBase64(key), marker: true }
}

export class PulsarWsMessage {
  readonly persistence: Persistence
  readonly tenant: string
  readonly namespace: string
  /** The topic's local name as subscribed (without partition suffix). */
  readonly topic: string
  /** `persistence://tenant/namespace/topic`. */
  readonly fullTopic: string
  /** Partition index, -1 for a non-partitioned topic. */
  readonly partition: number
  /** The id as the WebSocket API gave it (base64 MessageIdData); acks send it back unchanged. */
  readonly messageId: string
  /** The same id, parsed (ledger, entry, partition, batch index). */
  readonly id: MessageId
  /** The key as bytes, or null. */
  readonly keyBytes: Uint8Array | null
  readonly properties: Readonly<Record<string, string>>
  readonly publishTime: Date
  readonly eventTime: Date | undefined
  readonly redeliveryCount: number
  /** The payload as stored: for an encrypted message delivered undecrypted, the encrypted bytes. */
  readonly payload: Uint8Array
  /**
   * Set when the message is end-to-end encrypted and the server delivered it without decrypting
   * (`cryptoFailureAction: 'CONSUME'`): the keys, IV and compression needed to decrypt `payload`.
   */
  readonly encryptionContext: EncryptionContext | undefined

  constructor(frame: DeliveredFrame, where: TopicAddress) {
    this.persistence = where.persistence
    this.tenant = where.tenant
    this.namespace = where.namespace
    this.topic = where.topic
    this.fullTopic = `${where.persistence}://${where.tenant}/${where.namespace}/${where.topic}`
    this.messageId = frame.messageId
    this.id = messageIdFromWs(frame.messageId)
    this.partition = this.id.partition
    const properties = frame.properties
    if (properties[KEY_ENCODING_PROPERTY] === 'base64' && frame.key !== undefined) {
      const { [KEY_ENCODING_PROPERTY]: _marker, ...rest } = properties
      this.properties = rest
      this.keyBytes = decodeBase64(frame.key, 'key')
    } else {
      this.properties = properties
      this.keyBytes = frame.key === undefined ? null : toBytes(frame.key)
    }
    this.publishTime = new Date(frame.publishTime)
    this.eventTime = frame.eventTime === undefined ? undefined : new Date(frame.eventTime)
    this.redeliveryCount = frame.redeliveryCount
    this.payload = frame.payload
    this.encryptionContext = frame.encryptionContext
  }

  /** The key as text (binary keys decoded as UTF-8, replacement characters where invalid). */
  get key(): string | undefined {
    return this.keyBytes === null ? undefined : utf8(this.keyBytes)
  }

  /** The partition's topic name, e.g. `persistent://public/default/orders-partition-2`. */
  get partitionTopic(): string {
    return this.partition >= 0 ? `${this.fullTopic}-partition-${this.partition}` : this.fullTopic
  }

  text(): string {
    return utf8(this.payload)
  }

  json(): unknown {
    return JSON.parse(this.text())
  }
}
