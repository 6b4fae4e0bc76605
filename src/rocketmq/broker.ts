// The common-contract Broker for `rocketmq://namesrv:port[;namesrv2:port]`: one RocketMQClient
// shared by every producer and consumer made from it; close() closes consumers (offsets
// committed), then producers (drained), then the connections.

import { randomBytes } from 'node:crypto'
import type {
  Broker,
  Capabilities,
  Consumer,
  ConsumerOptions,
  Producer,
  ProducerOptions,
} from '../core/contract.ts'
import { ClosedError, ConfigError, UnsupportedError } from '../core/errors.ts'
import { RocketMQAdmin } from './admin.ts'
import { RocketMQClient } from './client.ts'
import { ContractConsumer } from './consumer/contract-consumer.ts'
import { RocketMQPushConsumer, type StartFrom } from './consumer/push-consumer.ts'
import { ContractProducer } from './producer/contract-producer.ts'
import { RocketMQProducer } from './producer/producer.ts'
import type { CompressionCodec } from './message-body.ts'
import type { MessageExt } from './protocol/message-ext.ts'
import { Property, SYSTEM_PROPERTY_NAMES } from './protocol/properties.ts'
import { redactUrl } from '../core/redact-url.ts'

export const ROCKETMQ_CAPABILITIES: Capabilities = Object.freeze({
  groups: true,
  ordering: 'partition',
  history: true,
  seek: true,
  nack: true,
  ackTimeout: false,
  deadLetter: true,
  dropOnClose: true,
  nullValues: false,
  // The flag describes the common contract, which has no transaction API; RocketMQ's
  // transactional messages are the native TransactionalProducer (docs/rocketmq.md).
  transactions: false,
  maxMessageBytes: 4 * 1024 * 1024,
})

function optional<T>(
  options: Record<string, unknown>,
  name: string,
  check: (v: unknown) => boolean,
  expected: string,
): T | undefined {
  const value = options[name]
  if (value === undefined) return undefined
  if (!check(value)) throw new ConfigError(`rocketmq option ${name} must be ${expected}`)
  return value as T
}

const isPositiveInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0
const isString = (v: unknown): boolean => typeof v === 'string' && v !== ''

function startFrom(from: ConsumerOptions['from']): StartFrom {
  if (from === undefined || from === 'latest') return 'last'
  if (from === 'earliest') return 'first'
  if (from instanceof Date) return { timestamp: from.getTime() }
  if (typeof from === 'number' && Number.isFinite(from)) return { timestamp: from }
  throw new ConfigError(
    `consumer option from must be 'earliest', 'latest', a Date or a timestamp, got ${String(from)}`,
  )
}

export class RocketMQBroker implements Broker {
  readonly url: string
  readonly capabilities = ROCKETMQ_CAPABILITIES
  readonly admin: RocketMQAdmin
  readonly client: RocketMQClient
  readonly #producers = new Set<ContractProducer>()
  readonly #consumers = new Set<ContractConsumer>()
  #dlqProducer: RocketMQProducer | undefined
  #closed = false

  constructor(url: string, client: RocketMQClient) {
    // Shown in messages and reports: never with a secret (see core/redact-url.ts).
    this.url = redactUrl(url)
    this.client = client
    this.admin = new RocketMQAdmin(client)
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError(`broker ${this.url} is closed`)
  }

  /**
   * Creates a topic the name server does not know yet. A topic the broker auto-creates on first
   * send reaches the name server only with the broker's next periodic registration (up to 30 s),
   * so consumers would not find its queues; an explicit create registers it at once.
   */
  async #ensureTopic(topic: string, queues: number | undefined): Promise<void> {
    if (await this.client.route(topic).catch(() => undefined)) return
    await this.admin.createTopic(topic, { partitions: queues ?? 4 })
  }

  async producer(options: ProducerOptions): Promise<Producer> {
    this.#assertOpen()
    if (options === null || typeof options !== 'object' || typeof options.topic !== 'string') {
      throw new ConfigError('producer options need a topic')
    }
    const compression = optional<CompressionCodec>(
      options,
      'compression',
      (v) => v === 'zlib' || v === 'lz4' || v === 'zstd',
      "'zlib', 'lz4' or 'zstd'",
    )
    const native = new RocketMQProducer(this.client, {
      group:
        optional<string>(options, 'group', isString, 'a non-empty string') ??
        `conduit-producer-${randomBytes(4).toString('hex')}`,
      sendTimeoutMs: optional<number>(options, 'sendTimeoutMs', isPositiveInt, 'a positive integer'),
      compressThreshold: optional<number>(
        options,
        'compressThreshold',
        (v) => Number.isInteger(v) && (v as number) >= 0,
        'an integer >= 0',
      ),
      ...(compression ? { compression } : {}),
    })
    native.start()
    await this.#ensureTopic(
      options.topic,
      optional<number>(options, 'queues', isPositiveInt, 'a positive integer'),
    )
    const producer = new ContractProducer(native, {
      topic: options.topic,
      bufferSize: options.bufferSize,
      onAck: options.onAck,
      deliveryTimeoutMs: optional<number>(options, 'deliveryTimeoutMs', isPositiveInt, 'a positive integer'),
    })
    this.#producers.add(producer)
    return producer
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    this.#assertOpen()
    if (options === null || typeof options !== 'object')
      throw new ConfigError('consumer options must be an object')
    const topics =
      typeof options.topic === 'string'
        ? [options.topic]
        : Array.isArray(options.topic)
          ? [...(options.topic as string[])]
          : []
    if (topics.length === 0 || topics.some((t) => typeof t !== 'string' || t === ''))
      throw new ConfigError('consumer options need a topic')
    if (options.ackTimeoutMs !== undefined)
      throw new UnsupportedError('RocketMQ has no ack timeout (capabilities.ackTimeout is false)')
    const group = options.group ?? `conduit-${randomBytes(6).toString('hex')}`
    const deadLetterTopic = optional<string>(options, 'deadLetterTopic', isString, 'a topic name')
    const maxBatch = optional<number>(options, 'maxBatch', isPositiveInt, 'a positive integer')
    const maxRedeliveries = optional<number>(
      options,
      'maxRedeliveries',
      (v) => Number.isInteger(v) && (v as number) >= 0,
      'an integer >= 0',
    )
    const expression = optional<string>(options, 'tags', isString, 'a tag expression like "TagA || TagB"')
    const sql = optional<string>(options, 'sql', isString, 'an SQL92 expression')
    if (expression && sql) throw new ConfigError('use either tags or sql, not both')
    const model = optional<string>(
      options,
      'model',
      (v) => v === 'clustering' || v === 'broadcasting',
      "'clustering' or 'broadcasting'",
    )
    for (const topic of topics)
      await this.#ensureTopic(topic, optional<number>(options, 'queues', isPositiveInt, 'a positive integer'))
    // Each consumer is its own group member: the broker counts members per connection, so a
    // consumer gets its own client (connections, client id). Its long polls then never delay sends.
    const client = new RocketMQClient({ ...this.client.options, clientId: undefined })
    const native = new RocketMQPushConsumer(client, {
      oneBatchPerQueue: true,
      ...(deadLetterTopic !== undefined && deadLetterTopic !== `%DLQ%${group}`
        ? { deadLetter: (m: MessageExt) => this.#deadLetter(deadLetterTopic, group, m) }
        : {}),
      group,
      subscriptions: topics.map((topic) =>
        sql ? { topic, expression: sql, type: 'SQL92' as const } : { topic, expression: expression ?? '*' },
      ),
      consumeFrom: startFrom(options.from),
      model: model === 'broadcasting' ? 'BROADCASTING' : 'CLUSTERING',
      orderly: optional<boolean>(options, 'orderly', (v) => typeof v === 'boolean', 'a boolean') ?? false,
      consumeBatchSize: maxBatch,
      maxReconsumeTimes: maxRedeliveries,
      // The contract's nack means "redeliver soon": level 1 (1 s) unless asked otherwise.
      retryDelayLevel:
        optional<number>(
          options,
          'retryDelayLevel',
          (v) => Number.isInteger(v) && (v as number) >= 0,
          'an integer >= 0',
        ) ?? 1,
      pullSuspendMs: optional<number>(options, 'pullSuspendMs', isPositiveInt, 'a positive integer'),
    })
    try {
      await native.start()
    } catch (err) {
      await native.close().catch(() => {})
      await client.close().catch(() => {})
      throw err
    }
    // A consumer closed by the application leaves the set: its close() already reported (or
    // will report) a failed final commit, broker.close() must not report it a second time.
    const consumer: ContractConsumer = new ContractConsumer(client, native, async () => {
      this.#consumers.delete(consumer)
      await client.close()
    })
    this.#consumers.add(consumer)
    return consumer
  }

  /**
   * The contract's deadLetterTopic: after maxRedeliveries the message is re-published there by
   * the client (RocketMQ's own dead letter is always %DLQ%<group>), with its properties.
   */
  async #deadLetter(topic: string, group: string, m: MessageExt): Promise<void> {
    this.#dlqProducer ??= (() => {
      const p = new RocketMQProducer(this.client, { group: `conduit-dlq-${randomBytes(4).toString('hex')}` })
      p.start()
      return p
    })()
    const properties: Record<string, string> = {}
    for (const [k, v] of Object.entries(m.properties)) if (!SYSTEM_PROPERTY_NAMES.has(k)) properties[k] = v
    properties.DLQ_ORIGIN_TOPIC_CONDUIT = m.topic
    properties.DLQ_ORIGIN_GROUP_CONDUIT = group
    await this.#dlqProducer.send({
      topic,
      body: m.body,
      properties,
      ...(m.properties[Property.KEYS] !== undefined ? { keys: m.properties[Property.KEYS] } : {}),
      ...(m.properties[Property.TAGS] !== undefined ? { tags: m.properties[Property.TAGS] } : {}),
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // A consumer whose final offset commit failed rejects its close(); everything is still closed,
    // then that error is this close()'s, so a lost commit is never silent (issue 16).
    const consumers = await Promise.allSettled([...this.#consumers].map((c) => c.close()))
    await Promise.allSettled([...this.#producers].map((p) => p.close()))
    await this.#dlqProducer?.close().catch(() => {})
    await this.client.close()
    const failed = consumers.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }
}
