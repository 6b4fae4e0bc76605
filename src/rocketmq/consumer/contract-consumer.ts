// The common-contract Consumer over the push consumer: batches of contract Messages (topic shown
// as first sent even for retried messages, partition = queue index, id = queue + offset so that
// seek() can move that queue), nack through the broker's retry topic, run() through runHandler.

import type { Batch, Consumer, Message, RunOptions } from '../../core/contract.ts'
import { createMessage } from '../../core/message.ts'
import { runHandler } from '../../core/run-handler.ts'
import type { RocketMQClient } from '../client.ts'
import {
  BINARY_KEY_PROPERTY,
  EMPTY_HEADERS_PROPERTY,
  EMPTY_VALUE_PROPERTY,
  messageId,
  parseMessageId,
} from '../producer/contract-producer.ts'
import type { MessageExt } from '../protocol/message-ext.ts'
import { Property, SYSTEM_PROPERTY_NAMES } from '../protocol/properties.ts'
import { readQueues, type MessageQueue } from '../protocol/route.ts'
import type { ConsumedBatch, RocketMQPushConsumer } from './push-consumer.ts'

/** Properties the broker adds on its own; not user headers. */
const BROKER_PROPERTIES = new Set([
  'MSG_REGION',
  'TRACE_ON',
  'CONSUME_START_TIME',
  'REAL_TOPIC',
  'REAL_QID',
  BINARY_KEY_PROPERTY,
  EMPTY_VALUE_PROPERTY,
  EMPTY_HEADERS_PROPERTY,
])

const encoder = new TextEncoder()

export function toContractMessage(m: MessageExt, queue: MessageQueue, partition: number): Message {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(m.properties)) {
    if (!SYSTEM_PROPERTY_NAMES.has(k) && !BROKER_PROPERTIES.has(k)) headers[k] = v
  }
  const emptyHeaders = m.properties[EMPTY_HEADERS_PROPERTY]
  if (emptyHeaders !== undefined) {
    try {
      for (const name of JSON.parse(emptyHeaders) as unknown[])
        if (typeof name === 'string') headers[name] = ''
    } catch {
      headers[EMPTY_HEADERS_PROPERTY] = emptyHeaders // not ours: keep it as a plain header
    }
  }
  const value = m.properties[EMPTY_VALUE_PROPERTY] === 'true' ? new Uint8Array(0) : m.body
  const b64 = m.properties[BINARY_KEY_PROPERTY]
  const keys = m.properties[Property.KEYS]
  const key =
    b64 !== undefined
      ? new Uint8Array(Buffer.from(b64, 'base64'))
      : keys !== undefined
        ? encoder.encode(keys)
        : null
  return createMessage({
    topic: m.topic,
    partition,
    offset: m.queueOffset,
    id: messageId(queue, m.queueOffset),
    key,
    value,
    headers,
    timestamp: m.bornTimestamp,
    redeliveryCount: m.reconsumeTimes,
  })
}

export class ContractConsumer implements Consumer {
  readonly #native: RocketMQPushConsumer
  readonly #client: RocketMQClient
  readonly #onClose: () => Promise<void>

  constructor(client: RocketMQClient, native: RocketMQPushConsumer, onClose: () => Promise<void>) {
    this.#client = client
    this.#native = native
    this.#onClose = onClose
  }

  get native(): RocketMQPushConsumer {
    return this.#native
  }

  #partition(queue: MessageQueue): number {
    const route = this.#client.cachedRoute(queue.topic)
    const index = route
      ? readQueues(queue.topic, route).findIndex(
          (q) => q.brokerName === queue.brokerName && q.queueId === queue.queueId,
        )
      : -1
    return index >= 0 ? index : queue.queueId
  }

  #wrap(batch: ConsumedBatch): Batch {
    const partition = this.#partition(batch.queue)
    return {
      messages: batch.messages.map((m) => toContractMessage(m, batch.queue, partition)),
      ack: () => batch.ack(),
      nack: () => batch.nack(),
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return {
      next: async () => {
        const batch = await this.#native.next()
        return batch ? { value: this.#wrap(batch), done: false } : { value: undefined, done: true }
      },
      // Leaving a for-await loop early closes the consumer, as with a stream; what was neither
      // acked nor nacked is not committed, so the group consumes it again.
      return: async () => {
        await this.close()
        return { value: undefined, done: true }
      },
    }
  }

  run(options: RunOptions): Promise<void> {
    return runHandler(this, options)
  }

  async seek(id: string): Promise<void> {
    const { queue, offset } = parseMessageId(id)
    await this.#native.seek(queue, offset)
  }

  pause(): void {
    this.#native.pause()
  }

  resume(): void {
    this.#native.resume()
  }

  #closing: Promise<void> | undefined

  /**
   * Rejects when the final offset commit failed; the client is closed either way, once, after
   * the commit (concurrent calls share one close).
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#native.close()
      } finally {
        await this.#onClose()
      }
    })()
    return this.#closing
  }
}
