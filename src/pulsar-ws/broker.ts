// The common contract on the Pulsar WebSocket API. Groups are subscriptions, Failover by default:
// members of one group split the partitions of a partitioned topic and each partition has one
// active member, which is what capabilities.ordering 'partition' promises (Shared would spread one
// partition over several members and lose its order; `subscriptionType` chooses another type, and
// a dead-letter topic needs Shared, which maxRedeliveries selects). A consumer without a group
// gets a private Exclusive subscription. `from` is the subscription's initial position; a
// time (number or Date) creates the subscription with the admin API and moves it to that time
// before the first socket opens.
//
// The consumer is in contract-consumer.ts; the admin is the binary driver's
// (src/pulsar/contract-admin.ts), as both reach the same admin REST API.
//
// What the WebSocket API cannot carry: a null value (it has no null payload) — capabilities say
// nullValues: false; a binary key travels base64-encoded with a marker property (message.ts).

import { randomBytes } from 'node:crypto'
import { AdaptedProducer } from '../core/adapted-producer.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import type {
  Admin,
  Broker,
  Capabilities,
  Consumer,
  ConsumerOptions,
  MessageInput,
  Producer,
  ProducerOptions,
  SendResult,
} from '../core/contract.ts'
import { ClosedError, ConfigError } from '../core/errors.ts'
import { timestampOf, validateMessageInput } from '../core/message.ts'
import { PulsarContractAdmin } from '../pulsar/contract-admin.ts'
import type { PulsarWsClient, WsConsumerOptions } from './client.ts'
import { ContractConsumer } from './contract-consumer.ts'
import { isConflict } from './socket.ts'
import type { PulsarWsConsumer } from './consumer.ts'
import type { SubscriptionType } from './endpoint.ts'
import { DEFAULT_MAX_TEXT_FRAME_SIZE } from './producer.ts'
import type { PulsarWsProducer, WsMessageInput, WsSendReceipt } from './producer.ts'
import { redactUrl } from '../core/redact-url.ts'

/** Room for JSON, key and properties around the base64 payload in one text frame. */
const FRAME_OVERHEAD = 16 * 1024

/** The largest value that fits a text frame of `frameSize` bytes once base64-encoded. */
export function maxValueBytes(frameSize: number): number {
  return Math.floor((frameSize - FRAME_OVERHEAD) / 4) * 3
}

function resultOf(topic: string, receipt: WsSendReceipt): SendResult {
  return { topic, partition: Math.max(0, receipt.id.partition), offset: -1, id: receipt.id.toString() }
}

function toWsInput(m: MessageInput): WsMessageInput {
  validateMessageInput(m)
  if (m.value === null) {
    throw new ConfigError(
      'the Pulsar WebSocket API cannot carry a null value (capabilities.nullValues is false)',
    )
  }
  if (m.partition !== undefined) {
    throw new ConfigError('the Pulsar WebSocket API routes by key; a message cannot name its partition')
  }
  return {
    payload: m.value,
    ...(m.key !== undefined && m.key !== null ? { key: m.key } : {}),
    ...(m.headers ? { properties: m.headers } : {}),
    ...(m.timestamp !== undefined ? { eventTime: timestampOf(m.timestamp, 0) } : {}),
  }
}

/** The contract's producer over the WebSocket producer. */
function contractProducer(p: PulsarWsProducer, topic: string, onAck: ((count: number) => void) | undefined) {
  return new AdaptedProducer<WsMessageInput, WsSendReceipt>(
    topic,
    {
      convert: toWsInput,
      send: (input) => p.send(input),
      trySend: (input, settled) => p.trySend(input, (error) => settled(!error)) !== undefined,
      result: (receipt) => resultOf(topic, receipt),
      flush: () => p.flush(),
      close: (options) => p.close(options),
    },
    onAck,
  )
}

export class PulsarWsBroker implements Broker {
  readonly url: string
  readonly client: PulsarWsClient
  readonly admin: Admin
  readonly capabilities: Capabilities
  #closed = false

  constructor(url: string, client: PulsarWsClient) {
    // Shown in messages and reports: never with a secret (see core/redact-url.ts).
    this.url = redactUrl(url)
    this.client = client
    this.admin = new PulsarContractAdmin(client.admin, {
      resolve: (name) => client.resolve(name).full,
      partitions: (full) => client.admin.getPartitions(full),
    })
    this.capabilities = {
      groups: true,
      ordering: 'partition',
      history: true,
      seek: true,
      nack: true,
      ackTimeout: true,
      deadLetter: true,
      dropOnClose: true,
      nullValues: false,
      transactions: false,
      maxMessageBytes: maxValueBytes(client.maxTextFrameSize ?? DEFAULT_MAX_TEXT_FRAME_SIZE),
    }
  }

  async producer(options: ProducerOptions): Promise<Producer> {
    if (this.#closed) throw new ClosedError('broker connection is closed')
    if (!options || typeof options.topic !== 'string') throw new ConfigError('producer() needs { topic }')
    const { topic, onAck, bufferSize, ...rest } = options
    const p = await this.client.producer({
      ...(rest as object),
      topic,
      ...(bufferSize !== undefined ? { bufferSize } : {}),
    })
    return contractProducer(p, topic, onAck)
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    if (this.#closed) throw new ClosedError('broker connection is closed')
    if (!options || options.topic === undefined) throw new ConfigError('consumer() needs { topic }')
    const {
      topic,
      group,
      from,
      maxBatch,
      ackTimeoutMs,
      maxRedeliveries,
      deadLetterTopic,
      failoverSettleMs: _settle,
      ...rest
    } = options
    if (maxBatch !== undefined && (!Number.isInteger(maxBatch) || maxBatch < 1))
      throw new ConfigError('maxBatch must be a positive integer')
    const topics = typeof topic === 'string' ? [topic] : [...topic]
    if (topics.length === 0) throw new ConfigError('consumer() needs at least one topic')
    const subscription = group ?? `conduit-${randomBytes(6).toString('hex')}`
    const dlq = maxRedeliveries !== undefined
    const asked =
      (rest.subscriptionType as SubscriptionType | undefined) ??
      (group === undefined ? 'Exclusive' : 'Failover')
    const timed = typeof from === 'number' || from instanceof Date
    const batch = maxBatch ?? 100
    const native: WsConsumerOptions[] = topics.map((t) => ({
      negativeAckRedeliveryDelay: 1000,
      permits: Math.max(2 * batch, 100),
      ...(rest as object),
      topic: t,
      subscription,
      pullMode: true,
      subscriptionType: dlq && asked !== 'Key_Shared' ? 'Shared' : asked,
      subscriptionInitialPosition: from === 'earliest' || timed ? 'Earliest' : 'Latest',
      ...(ackTimeoutMs !== undefined ? { ackTimeoutMillis: ackTimeoutMs } : {}),
      ...(dlq
        ? {
            maxRedeliverCount: maxRedeliveries,
            ...(deadLetterTopic ? { deadLetterTopic: this.client.resolve(deadLetterTopic).full } : {}),
          }
        : {}),
    }))
    if (timed) {
      const at = timestampOf(from, 0)
      for (const t of topics) {
        const full = this.client.resolve(t).full
        try {
          await this.client.admin.createSubscription(full, subscription, 'earliest')
        } catch (error) {
          if (isConflict(error)) continue // the group exists: it keeps its position
          throw error
        }
        await this.client.admin.resetCursor(full, subscription, at)
      }
    }
    const consumers: PulsarWsConsumer[] = []
    try {
      for (const o of native) consumers.push(await this.client.consumer(o))
    } catch (error) {
      await Promise.allSettled(consumers.map((c) => c.close()))
      throw error
    }
    const type = native[0]!.subscriptionType
    if (type === 'Failover' && (await this.#anyPartitioned(topics))) {
      // The broker moves partitions to a new member of a Failover group only after
      // activeConsumerFailoverDelayTimeInMs (1 s by default). Messages the previous member holds
      // when that happens are delivered by both, out of order; waiting out the delay here lets a
      // group that forms before traffic starts split its partitions cleanly.
      await sleep(failoverSettleMs(_settle))
    }
    const names = new Map<string, string>()
    for (const t of topics) names.set(this.client.resolve(t).full, t)
    return new ContractConsumer(consumers, batch, ackTimeoutMs, names)
  }

  async #anyPartitioned(topics: string[]): Promise<boolean> {
    for (const t of topics)
      if ((await this.client.admin.getPartitions(this.client.resolve(t).full)) > 0) return true
    return false
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.client.close()
  }
}

function failoverSettleMs(value: unknown): number {
  if (value === undefined) return 1100
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw new ConfigError('failoverSettleMs must be a non-negative integer')
  return value as number
}
