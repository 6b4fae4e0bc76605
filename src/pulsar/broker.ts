// The common contract on top of the native Pulsar API: a Broker whose producers and consumers
// speak the shared interfaces. Groups map to subscriptions (Shared by default, so members of one
// group split the messages; `subscriptionType` changes it), a consumer without a group gets a
// private Exclusive subscription, and `from` maps to the subscription's initial position (or a
// seek by time for a number or Date).

import { randomBytes } from 'node:crypto'
import { AdaptedProducer } from '../core/adapted-producer.ts'
import { LaneBatches } from '../core/lane-batches.ts'
import type {
  Admin,
  Batch,
  Broker,
  Capabilities,
  Consumer,
  ConsumerOptions,
  CreateTopicOptions,
  GroupDescription,
  Message,
  MessageInput,
  Producer,
  ProducerOptions,
  RunOptions,
  SendResult,
  TopicDescription,
} from '../core/contract.ts'
import { ClosedError, ConfigError } from '../core/errors.ts'
import { createMessage, validateMessageInput } from '../core/message.ts'
import { runHandler } from '../core/run-handler.ts'
import type { PulsarAdmin } from './admin.ts'
import type { PulsarClient } from './client.ts'
import { PulsarConsumer } from './consumer/consumer.ts'
import type { PulsarConsumerOptions } from './consumer/consumer.ts'
import type { PulsarMessage } from './consumer/message.ts'
import type { SubscriptionType } from './consumer/partition-consumer.ts'
import { PulsarContractAdmin } from './contract-admin.ts'
import { MessageId } from './protocol/message-id.ts'
import type { PulsarMessageInput } from './producer/message-builder.ts'
import { PulsarProducer } from './producer/producer.ts'
import type { PulsarProducerConfig } from './producer/producer.ts'
import { parseTopicName } from './topic-name.ts'
import { redactUrl } from '../core/redact-url.ts'

/** The room a single message may take, below the broker's 5 MiB default frame limit. */
const MAX_MESSAGE_BYTES = 5 * 1024 * 1024 - 16 * 1024

function resultOf(topic: string, id: MessageId): SendResult {
  return { topic, partition: Math.max(0, id.partition), offset: -1, id: id.toString() }
}

/** The contract's producer over PulsarProducer: headers travel as Pulsar properties. */
function contractProducer(p: PulsarProducer, topic: string, onAck: ((count: number) => void) | undefined) {
  return new AdaptedProducer<PulsarMessageInput, MessageId>(
    topic,
    {
      convert(m) {
        validateMessageInput(m)
        return {
          ...m,
          ...(m.headers ? { properties: m.headers, headers: undefined } : {}),
        } as PulsarMessageInput
      },
      send: (input) => p.send(input),
      trySend(input, settled) {
        const pending = p.trySend(input)
        if (!pending) return false
        pending.then(
          () => settled(true),
          () => settled(false),
        )
        return true
      },
      result: (id) => resultOf(topic, id),
      flush: () => p.flush(),
      close: (options) => p.close(options),
    },
    onAck,
  )
}

/** The contract consumer: the lock rule (src/core/lane-batches.ts) over a PulsarConsumer. */
class ContractConsumer implements Consumer {
  readonly #c: PulsarConsumer
  readonly #lanes: LaneBatches<PulsarMessage>

  constructor(
    c: PulsarConsumer,
    maxBatch: number,
    ackTimeoutMs: number | undefined,
    names: Map<string, string>,
  ) {
    this.#c = c
    this.#lanes = new LaneBatches<PulsarMessage>(
      {
        receive: () => c.receive(),
        receiveNow: (max) => c.receiveNow(max),
        // Each partition of a partitioned topic is its own topic name.
        lane: (m) => m.topic,
        view: (m) => viewOf(m, names),
        async settle(messages, how) {
          if (how === 'ack') await Promise.all(messages.map((m) => c.acknowledge(m)))
          else for (const m of messages) c.negativeAcknowledge(m)
        },
      },
      { maxBatch, ackTimeoutMs },
    )
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    try {
      yield* this.#lanes.batches()
    } finally {
      // Leaving a for-await loop early closes the consumer, as with a stream; the broker redelivers
      // what was neither acked nor nacked to the subscription's other (or next) consumers.
      await this.close()
    }
  }

  run(options: RunOptions): Promise<void> {
    return runHandler(this, options)
  }

  seek(id: string): Promise<void> {
    this.#lanes.drop(true)
    return this.#c.seek(MessageId.parse(id))
  }

  pause(): void {
    this.#c.pause()
  }

  resume(): void {
    this.#c.resume()
  }

  close(): Promise<void> {
    this.#lanes.close()
    return this.#c.close()
  }
}

/** The message as the contract shows it: the topic as the user named it, partition ≥ 0. */
function viewOf(m: PulsarMessage, names: Map<string, string>): Message {
  const base = parseTopicName(m.topic).partitionedTopic
  return createMessage({
    topic: names.get(base) ?? base,
    partition: Math.max(0, m.partition),
    offset: m.offset,
    id: m.id,
    key: m.key,
    value: m.value,
    headers: m.properties,
    timestamp: m.timestamp,
    redeliveryCount: m.redeliveryCount,
  })
}

export interface PulsarBrokerOptions {
  adminUrl?: string
  token?: string | (() => string | Promise<string>)
  adminTls?: ConstructorParameters<typeof PulsarAdmin>[0]['tls']
}

export class PulsarBroker implements Broker {
  readonly url: string
  readonly client: PulsarClient
  readonly admin: Admin
  readonly pulsarAdmin: PulsarAdmin
  readonly capabilities: Capabilities = {
    groups: true,
    ordering: 'partition',
    history: true,
    seek: true,
    nack: true,
    ackTimeout: true,
    deadLetter: true,
    dropOnClose: true,
    nullValues: true,
    transactions: false,
    maxMessageBytes: MAX_MESSAGE_BYTES,
  }
  #closed = false

  constructor(url: string, client: PulsarClient, admin: PulsarAdmin) {
    // Shown in messages and reports: never with a secret (see core/redact-url.ts).
    this.url = redactUrl(url)
    this.client = client
    this.pulsarAdmin = admin
    this.admin = new PulsarContractAdmin(admin, {
      resolve: (name) => parseTopicName(name).full,
      partitions: (full) => client.partitions(full),
    })
  }

  async producer(options: ProducerOptions): Promise<Producer> {
    if (this.#closed) throw new ClosedError('broker connection is closed')
    if (!options || typeof options.topic !== 'string') throw new ConfigError('producer() needs { topic }')
    const { onAck, bufferSize, ...rest } = options
    const config = {
      ...rest,
      ...(bufferSize !== undefined ? { maxPendingMessages: bufferSize } : {}),
    } as PulsarProducerConfig
    const p = await PulsarProducer.create(this.client, config)
    return contractProducer(p, options.topic, onAck)
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    if (this.#closed) throw new ClosedError('broker connection is closed')
    if (!options || options.topic === undefined) throw new ConfigError('consumer() needs { topic }')
    const { topic, group, from, maxBatch, ackTimeoutMs, maxRedeliveries, deadLetterTopic, ...rest } = options
    if (maxBatch !== undefined && (!Number.isInteger(maxBatch) || maxBatch < 1))
      throw new ConfigError('maxBatch must be a positive integer')
    const subscription = group ?? `conduit-${randomBytes(6).toString('hex')}`
    const dlq = maxRedeliveries !== undefined
    const subscriptionType =
      (rest.subscriptionType as SubscriptionType | undefined) ??
      (group === undefined ? 'Exclusive' : 'Shared')
    const c = await PulsarConsumer.create(this.client, {
      nackRedeliveryDelayMs: 1000,
      ...rest,
      topic,
      subscription,
      subscriptionType: dlq && subscriptionType !== 'Key_Shared' ? 'Shared' : subscriptionType,
      initialPosition:
        from === 'earliest' || typeof from === 'number' || from instanceof Date ? 'earliest' : 'latest',
      ...(ackTimeoutMs !== undefined ? { ackTimeoutMs } : {}),
      ...(dlq
        ? {
            deadLetterPolicy: {
              maxRedeliverCount: maxRedeliveries,
              ...(deadLetterTopic ? { deadLetterTopic } : {}),
            },
          }
        : {}),
    })
    if (typeof from === 'number' || from instanceof Date) await c.seek(from)
    const names = new Map<string, string>()
    for (const t of typeof topic === 'string' ? [topic] : topic) names.set(parseTopicName(t).full, t)
    return new ContractConsumer(c, maxBatch ?? 100, ackTimeoutMs, names)
  }

  /** The native API, for what the contract does not cover. */
  nativeProducer(options: PulsarProducerConfig): Promise<PulsarProducer> {
    return PulsarProducer.create(this.client, options)
  }

  nativeConsumer(options: PulsarConsumerOptions): Promise<PulsarConsumer> {
    return PulsarConsumer.create(this.client, options)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.client.close()
  }
}

export type { PulsarMessage }
