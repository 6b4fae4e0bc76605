// The common contract on top of the native Kafka classes: `connect('kafka://…')` returns this.
//
// Mapping: a contract producer is a KafkaProducer bound to one topic; a contract consumer with
// `group` subscribes (consumer group, commits), without one it reads every partition of its
// topics with no commits. `ack()` marks a batch processed (committed with the next auto commit,
// on rebalance and on close); `nack()` seeks the partition back to the batch's first offset, so
// the batch is delivered again. Message ids are `topic:partition:offset`; `seek(id)` goes there.

import type {
  Batch,
  Broker,
  Capabilities,
  Consumer,
  ConsumerOptions,
  MessageInput,
  Producer,
  ProducerOptions,
  RunOptions,
  SendResult,
} from '../core/contract.ts'
import { ClosedError, ConfigError } from '../core/errors.ts'
import { validateMessageInput } from '../core/message.ts'
import { KafkaAdmin } from './admin.ts'
import type { KafkaCluster } from './cluster.ts'
import { KafkaConsumer } from './consumer/consumer.ts'
import { kafkaMessageId } from './consumer/fetcher.ts'
import type { KafkaConsumerConfig } from './consumer/options.ts'
import type { KafkaProducerConfig } from './producer/options.ts'
import { KafkaProducer, type ProducerRecord, type RecordMetadata } from './producer/producer.ts'
import { redactUrl } from '../core/redact-url.ts'

export const KAFKA_CAPABILITIES: Capabilities = Object.freeze({
  groups: true,
  ordering: 'partition',
  history: true,
  seek: true,
  nack: true,
  ackTimeout: false,
  deadLetter: false,
  dropOnClose: true,
  nullValues: true,
  transactions: false,
  // The broker's default message.max.bytes is 1 MiB + 12 for a whole batch: leave room for it.
  maxMessageBytes: 1_000_000,
})

const PRODUCER_KEYS = [
  'acks',
  'idempotent',
  'compression',
  'lingerMs',
  'batchSize',
  'maxRequestSize',
  'bufferMemory',
  'maxBlockMs',
  'deliveryTimeoutMs',
  'requestTimeoutMs',
  'retryBackoffMs',
  'retryBackoffMaxMs',
  'partitioner',
] as const

const CONSUMER_KEYS = [
  'groupInstanceId',
  'maxWaitMs',
  'minBytes',
  'maxBytes',
  'partitionMaxBytes',
  'maxPrefetchBytes',
  'isolationLevel',
  'sessionTimeoutMs',
  'rebalanceTimeoutMs',
  'heartbeatIntervalMs',
  'assignors',
  'autoCommit',
  'autoCommitIntervalMs',
  'rebalanceListenerTimeoutMs',
  'requestTimeoutMs',
  'maxDecompressedBytes',
  'checkCrcs',
] as const

function pick<K extends string>(
  options: Record<string, unknown>,
  keys: readonly K[],
): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {}
  for (const k of keys) if (options[k] !== undefined) out[k] = options[k]
  return out
}

function toRecord(m: MessageInput): ProducerRecord {
  validateMessageInput(m)
  return { key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp, partition: m.partition }
}

function result(meta: RecordMetadata): SendResult {
  return {
    topic: meta.topic,
    partition: meta.partition,
    offset: meta.offset,
    id: kafkaMessageId(meta.topic, meta.partition, meta.offset),
  }
}

/** Calls onAck with counts of acknowledged messages in send order (libbeat's ACK callback). */
class OrderedAcks {
  readonly #onAck: ((count: number) => void) | undefined
  readonly #done = new Map<number, boolean>()
  #next = 0
  #head = 0

  constructor(onAck: ((count: number) => void) | undefined) {
    this.#onAck = onAck
  }

  track<T>(promise: Promise<T>): Promise<T> {
    if (!this.#onAck) return promise
    const seq = this.#next++
    promise.then(
      () => this.#settle(seq, true),
      () => this.#settle(seq, false),
    )
    return promise
  }

  #settle(seq: number, acked: boolean): void {
    this.#done.set(seq, acked)
    let count = 0
    while (this.#done.has(this.#head)) {
      if (this.#done.get(this.#head)) count++
      this.#done.delete(this.#head)
      this.#head++
    }
    if (count > 0) this.#onAck!(count)
  }
}

class KafkaContractProducer implements Producer {
  readonly topic: string
  readonly #producer: KafkaProducer
  readonly #acks: OrderedAcks
  readonly #onClose: () => void

  constructor(
    topic: string,
    producer: KafkaProducer,
    onAck: ((count: number) => void) | undefined,
    onClose: () => void,
  ) {
    this.topic = topic
    this.#producer = producer
    this.#acks = new OrderedAcks(onAck)
    this.#onClose = onClose
  }

  send(message: MessageInput): Promise<SendResult>
  send(messages: readonly MessageInput[]): Promise<SendResult[]>
  async send(input: MessageInput | readonly MessageInput[]): Promise<SendResult | SendResult[]> {
    if (Array.isArray(input)) {
      const records = (input as readonly MessageInput[]).map(toRecord)
      const promises = records.map((r) => this.#acks.track(this.#producer.send(this.topic, r)))
      return (await Promise.all(promises)).map(result)
    }
    return result(await this.#acks.track(this.#producer.send(this.topic, toRecord(input as MessageInput))))
  }

  trySend(message: MessageInput): boolean {
    const promise = this.#producer.trySend(this.topic, toRecord(message))
    if (!promise) return false
    // The caller of trySend does not await: failures are reported through onAck's silence and
    // must not become unhandled rejections.
    this.#acks.track(promise).catch(() => undefined)
    return true
  }

  flush(): Promise<void> {
    return this.#producer.flush()
  }

  async close(options: { drop?: boolean } = {}): Promise<number> {
    const dropped = await this.#producer.close(options)
    this.#onClose()
    return dropped
  }
}

class KafkaContractConsumer implements Consumer {
  readonly #consumer: KafkaConsumer
  readonly #onClose: () => void

  constructor(consumer: KafkaConsumer, onClose: () => void) {
    this.#consumer = consumer
    this.#onClose = onClose
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    try {
      yield* this.#consumer
    } finally {
      // Leaving a for-await loop early (break, return, throw) closes the consumer, as with a
      // stream; a batch neither acked nor nacked goes back to the group (its offset is uncommitted).
      await this.close()
    }
  }

  run(options: RunOptions): Promise<void> {
    return this.#consumer.run(options)
  }

  async seek(id: string): Promise<void> {
    const m = /^(.+):(\d+):(\d+)$/.exec(String(id))
    if (!m) throw new ConfigError(`"${id}" is not a Kafka message id (topic:partition:offset)`)
    this.#consumer.seek(m[1]!, Number(m[2]), BigInt(m[3]!))
  }

  pause(): void {
    this.#consumer.pause()
  }

  resume(): void {
    this.#consumer.resume()
  }

  async close(): Promise<void> {
    await this.#consumer.close()
    this.#onClose()
  }
}

export class KafkaBroker implements Broker {
  readonly url: string
  readonly capabilities = KAFKA_CAPABILITIES
  readonly admin: KafkaAdmin
  readonly cluster: KafkaCluster
  readonly #producers = new Set<Producer>()
  readonly #consumers = new Set<Consumer>()
  #closed = false

  constructor(url: string, cluster: KafkaCluster) {
    // Shown in messages and reports: never with a secret (see core/redact-url.ts).
    this.url = redactUrl(url)
    this.cluster = cluster
    this.admin = new KafkaAdmin(cluster)
  }

  async producer(options: ProducerOptions): Promise<Producer> {
    if (this.#closed) throw new ClosedError('broker connection is closed')
    if (!options || typeof options.topic !== 'string' || options.topic === '') {
      throw new ConfigError('producer() needs a topic')
    }
    const config: KafkaProducerConfig = pick(options, PRODUCER_KEYS) as KafkaProducerConfig
    if (options.bufferSize !== undefined) config.maxBufferedRecords = options.bufferSize
    const native = new KafkaProducer(this.cluster, config)
    await native.prepareTopic(options.topic)
    const producer: Producer = new KafkaContractProducer(options.topic, native, options.onAck, () =>
      this.#producers.delete(producer),
    )
    this.#producers.add(producer)
    return producer
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    if (this.#closed) throw new ClosedError('broker connection is closed')
    const topics = typeof options?.topic === 'string' ? [options.topic] : options?.topic
    if (!Array.isArray(topics) || topics.length === 0)
      throw new ConfigError('consumer() needs a topic or topics')
    const from = options.from ?? 'latest'
    const config: KafkaConsumerConfig = pick(options, CONSUMER_KEYS) as KafkaConsumerConfig
    if (options.maxBatch !== undefined) config.maxBatch = options.maxBatch
    config.oneBatchPerPartition = true
    if (options.group !== undefined) config.groupId = options.group
    if (from === 'earliest' || from === 'latest') config.autoOffsetReset = from
    else if (from instanceof Date) config.startAt = { timestamp: from.getTime() }
    else if (typeof from === 'number' && Number.isSafeInteger(from) && from >= 0)
      config.startAt = { offset: from }
    else throw new ConfigError(`consumer option from must be 'earliest', 'latest', an offset or a Date`)
    if (
      options.ackTimeoutMs !== undefined ||
      options.deadLetterTopic !== undefined ||
      options.maxRedeliveries !== undefined
    ) {
      throw new ConfigError('Kafka has no ack timeout or dead-letter topics (see broker.capabilities)')
    }
    const native = new KafkaConsumer(this.cluster, config)
    try {
      if (config.groupId) {
        await native.subscribe(topics)
      } else {
        const partitions: { topic: string; partition: number }[] = []
        for (const t of topics) {
          const info = await this.cluster.topic(t)
          for (const p of info.partitions) partitions.push({ topic: t, partition: p.partition })
        }
        await native.assign(partitions)
      }
    } catch (err) {
      await native.close().catch(() => undefined)
      throw err
    }
    const consumer: Consumer = new KafkaContractConsumer(native, () => this.#consumers.delete(consumer))
    this.#consumers.add(consumer)
    return consumer
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all([...this.#consumers].map((c) => c.close().catch(() => undefined)))
    await Promise.all([...this.#producers].map((p) => p.close().catch(() => 0)))
    await this.cluster.close()
  }
}
