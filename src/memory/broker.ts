// One connection to the embedded broker: the common-contract Broker. It owns the producers and
// consumers it created, so close() can drain producers, give back unacked batches and release
// the engine (shared engines stay up for their other connections).

import type {
  Broker,
  Capabilities,
  Consumer,
  ConsumerOptions,
  Producer,
  ProducerOptions,
} from '../core/contract.ts'
import { ClosedError, ConfigError } from '../core/errors.ts'
import { MemoryAdmin } from './admin.ts'
import type { MemorySettings } from './config.ts'
import { DEFAULT_MAX_BATCH, MemoryConsumer } from './consumer.ts'
import type { Engine } from './engine.ts'
import type { EngineLease } from './engines.ts'
import { DEFAULT_BUFFER_SIZE, MemoryProducer } from './producer.ts'
import { DEFAULT_MAX_REDELIVERY_DELAY_MS, DEFAULT_REDELIVERY_DELAY_MS } from './redelivery.ts'
import type { RedeliveryPolicy } from './redelivery.ts'
import { validateTopicName } from './topic.ts'
import { redactUrl } from '../core/redact-url.ts'

let clients = 0

export class MemoryBroker implements Broker {
  readonly url: string
  readonly capabilities: Capabilities
  readonly admin: MemoryAdmin
  /** The shared state behind this connection (native API: topics, groups, logs). */
  readonly engine: Engine
  readonly settings: MemorySettings
  private readonly lease: EngineLease
  private readonly producers = new Set<MemoryProducer>()
  private readonly consumers = new Set<MemoryConsumer>()
  private closing: Promise<void> | null = null
  private readonly clientId = `conduit-memory-${++clients}`

  constructor(url: string, settings: MemorySettings, lease: EngineLease) {
    // Shown in messages and reports: never with a secret (see core/redact-url.ts).
    this.url = redactUrl(url)
    this.settings = settings
    this.lease = lease
    this.engine = lease.engine
    this.admin = new MemoryAdmin(this.engine, () => this.closing !== null)
    this.capabilities = Object.freeze({
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
      maxMessageBytes: settings.maxMessageBytes,
    })
  }

  private checkOpen(): void {
    if (this.closing) throw new ClosedError(`broker connection ${this.url} is closed`)
  }

  async producer(options: ProducerOptions): Promise<Producer> {
    this.checkOpen()
    if (options === null || typeof options !== 'object') {
      throw new ConfigError('producer() needs options like { topic: "orders" }')
    }
    const topic = this.engine.topic(validateTopicName(options.topic), true)
    const bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      throw new ConfigError(
        `producer option bufferSize must be a positive integer, got ${String(options.bufferSize)}`,
      )
    }
    if (options.onAck !== undefined && typeof options.onAck !== 'function') {
      throw new ConfigError('producer option onAck must be a function (count) => void')
    }
    const producer = new MemoryProducer(this.engine, topic, {
      bufferSize,
      onAck: options.onAck,
      maxMessageBytes: this.settings.maxMessageBytes,
      onClose: (p) => this.producers.delete(p),
    })
    this.producers.add(producer)
    return producer
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    this.checkOpen()
    if (options === null || typeof options !== 'object') {
      throw new ConfigError('consumer() needs options like { topic: "orders", group: "billing" }')
    }
    const names = typeof options.topic === 'string' ? [options.topic] : options.topic
    if (!Array.isArray(names) || names.length === 0) {
      throw new ConfigError('consumer option topic must be a topic name or a non-empty array of them')
    }
    const topics = [...new Set(names)].map((name) => this.engine.topic(validateTopicName(name), true))
    const group = options.group
    if (group !== undefined && (typeof group !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(group))) {
      throw new ConfigError(
        `invalid group name ${JSON.stringify(group)}: use letters, digits, '.', '_' and '-'`,
      )
    }
    const maxBatch = positiveInteger(options.maxBatch, 'maxBatch') ?? DEFAULT_MAX_BATCH
    const ackTimeoutMs = positiveInteger(options.ackTimeoutMs, 'ackTimeoutMs')
    const maxRedeliveries = options.maxRedeliveries
    if (maxRedeliveries !== undefined && (!Number.isInteger(maxRedeliveries) || maxRedeliveries < 0)) {
      throw new ConfigError(
        `consumer option maxRedeliveries must be a non-negative integer, got ${String(maxRedeliveries)}`,
      )
    }
    const deadLetterTopic =
      options.deadLetterTopic === undefined ? undefined : validateTopicName(options.deadLetterTopic)
    if (deadLetterTopic !== undefined && maxRedeliveries === undefined) {
      throw new ConfigError(
        'consumer option deadLetterTopic needs maxRedeliveries too (after how many deliveries)',
      )
    }
    if (options.skipDamaged !== undefined && typeof options.skipDamaged !== 'boolean') {
      throw new ConfigError(
        `consumer option skipDamaged must be true or false, got ${String(options.skipDamaged)}`,
      )
    }
    const redelivery = redeliveryPolicy(options)
    const consumer = new MemoryConsumer(this.engine, {
      topics,
      group: this.engine.group(group),
      from: options.from,
      maxBatch,
      ackTimeoutMs,
      maxRedeliveries,
      deadLetterTopic,
      redelivery,
      clientId: this.clientId,
      skipDamaged: options.skipDamaged === true,
      onClose: (c) => this.consumers.delete(c),
    })
    this.consumers.add(consumer)
    return consumer
  }

  close(): Promise<void> {
    this.closing ??= this.doClose()
    return this.closing
  }

  private async doClose(): Promise<void> {
    try {
      await Promise.all([...this.producers].map((p) => p.close()))
      await Promise.all([...this.consumers].map((c) => c.close()))
    } finally {
      this.lease.release()
    }
  }
}

/** Consumer options redeliveryDelayMs (0 = at once, yet still after other work) and maxRedeliveryDelayMs. */
function redeliveryPolicy(options: ConsumerOptions): RedeliveryPolicy {
  const delayMs =
    nonNegativeInteger(options.redeliveryDelayMs, 'redeliveryDelayMs') ?? DEFAULT_REDELIVERY_DELAY_MS
  const maxDelayMs =
    nonNegativeInteger(options.maxRedeliveryDelayMs, 'maxRedeliveryDelayMs') ??
    Math.max(delayMs, DEFAULT_MAX_REDELIVERY_DELAY_MS)
  if (maxDelayMs < delayMs) {
    throw new ConfigError(
      `consumer option maxRedeliveryDelayMs (${maxDelayMs}) must be at least redeliveryDelayMs (${delayMs})`,
    )
  }
  return { delayMs, maxDelayMs }
}

function nonNegativeInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(`consumer option ${name} must be a non-negative integer (ms), got ${String(value)}`)
  }
  return value
}

function positiveInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`consumer option ${name} must be a positive integer, got ${String(value)}`)
  }
  return value
}
