// The native RocketMQ producer (DefaultMQProducer): sync/async send (the promise), oneway, batch,
// queue selection, retries on another broker, compression above a threshold, and the hooks the
// transactional producer and request-reply build on.
//
// When is a message sent? When the broker answered SEND_OK (or one of the flush/slave statuses,
// which mean stored on the master). A send that fails with a connection error or timeout has an
// unknown outcome; it is retried (at-least-once), up to `retries` more times, on another broker
// when the topic has one.

import {
  BrokerError,
  ConfigError,
  ConnectionError,
  MessageTooLargeError,
  TimeoutError,
} from '../../core/errors.ts'
import type { ProducerOwner, RocketMQClient } from '../client.ts'
import { brokerErrorOf } from '../connection.ts'
import { RequestCode, ResponseCode } from '../protocol/codes.ts'
import { encodeBatch } from '../protocol/batch.ts'
import { intField, sendHeaderV2 } from '../protocol/headers.ts'
import { MessageSysFlag } from '../protocol/message-ext.ts'
import { encodeProperties, Property } from '../protocol/properties.ts'
import { createRequest } from '../protocol/remoting-command.ts'
import { writeQueues, type MessageQueue } from '../protocol/route.ts'
import { compressBody, type CompressionCodec } from '../message-body.ts'
import {
  prepareMessage,
  validateTopic,
  type PreparedMessage,
  type RocketMQMessage,
  type RocketMQSendResult,
  type SendStatus,
} from './message.ts'
import { RoundRobin, selectByHash, type QueueSelector } from './queue-selector.ts'

export interface RocketMQProducerOptions {
  /** Producer group. Default `CONDUIT_PRODUCER`. Transactional producers need their own group. */
  group?: string
  /** Per-attempt send timeout. Default 3000 ms. */
  sendTimeoutMs?: number
  /** Extra attempts after a failed send, each on another broker where possible. Default 2. */
  retries?: number
  /** Bodies above this many bytes are compressed (not batches). Default 4096. */
  compressThreshold?: number
  /** Codec for compressed bodies. Default 'zlib' (what every RocketMQ client reads). */
  compression?: CompressionCodec
  /** Largest body accepted. Default 4 MiB (the broker's maxMessageSize). */
  maxMessageBytes?: number
  /** Queues per topic the broker creates when it auto-creates a topic on first send. Default 4. */
  defaultTopicQueueNums?: number
  /** Custom queue choice for every send without an explicit queue. */
  queueSelector?: QueueSelector
}

export interface SendOptions {
  /** Send to exactly this queue (no retry on another broker). */
  queue?: MessageQueue
  /** Choose with this selector instead of the producer's default. */
  selector?: QueueSelector
  timeoutMs?: number
}

const STATUS_BY_CODE = new Map<number, SendStatus>([
  [ResponseCode.SUCCESS, 'SEND_OK'],
  [ResponseCode.FLUSH_DISK_TIMEOUT, 'FLUSH_DISK_TIMEOUT'],
  [ResponseCode.FLUSH_SLAVE_TIMEOUT, 'FLUSH_SLAVE_TIMEOUT'],
  [ResponseCode.SLAVE_NOT_AVAILABLE, 'SLAVE_NOT_AVAILABLE'],
])

/** The topic the broker uses as template when auto-creating topics (TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC). */
const AUTO_CREATE_TOPIC = 'TBW102'

export function isRetriableSendError(err: unknown): boolean {
  return (
    err instanceof ConnectionError ||
    err instanceof TimeoutError ||
    (err instanceof BrokerError && err.retriable)
  )
}

export class RocketMQProducer implements ProducerOwner {
  readonly client: RocketMQClient
  readonly group: string
  readonly #opts: Required<Omit<RocketMQProducerOptions, 'queueSelector' | 'group'>> & {
    queueSelector?: QueueSelector
  }
  readonly #roundRobin = new RoundRobin()
  /** Who answers broker requests for this group (a transactional wrapper replaces it). */
  owner: ProducerOwner = this
  #started = false
  #closed = false

  constructor(client: RocketMQClient, options: RocketMQProducerOptions = {}) {
    this.client = client
    this.group = options.group ?? 'CONDUIT_PRODUCER'
    const retries = options.retries ?? 2
    if (!Number.isInteger(retries) || retries < 0) throw new ConfigError('retries must be an integer >= 0')
    this.#opts = {
      sendTimeoutMs: options.sendTimeoutMs ?? 3000,
      retries,
      compressThreshold: options.compressThreshold ?? 4096,
      compression: options.compression ?? 'zlib',
      maxMessageBytes: options.maxMessageBytes ?? 4 * 1024 * 1024,
      defaultTopicQueueNums: options.defaultTopicQueueNums ?? 4,
      queueSelector: options.queueSelector,
    }
  }

  /** Registers the group on the client (heartbeats carry it from now on). */
  start(): void {
    if (this.#started) return
    this.client.registerProducer(this.owner)
    this.#started = true
  }

  #assertUsable(): void {
    if (this.#closed) throw new ConfigError(`producer ${this.group} is closed`)
    if (!this.#started) this.start()
  }

  /** The writable queues of a topic; an unknown topic is sent through the auto-create template. */
  async queuesOf(topic: string): Promise<{ queues: MessageQueue[]; autoCreate: boolean }> {
    validateTopic(topic)
    let route = await this.client.route(topic)
    if (route) {
      const queues = writeQueues(topic, route)
      if (queues.length > 0) return { queues, autoCreate: false }
    }
    // Unknown to the name server: the broker auto-creates the topic (autoCreateTopicEnable) when
    // a send names TBW102 as default topic, so send to a broker that hosts the template.
    route = await this.client.route(AUTO_CREATE_TOPIC)
    const template = route ? writeQueues(topic, route) : []
    if (template.length === 0) {
      throw new BrokerError(
        ResponseCode.TOPIC_NOT_EXIST,
        'TOPIC_NOT_EXIST',
        `topic ${topic} does not exist and no broker auto-creates topics`,
      )
    }
    const perBroker = new Map<string, MessageQueue[]>()
    for (const q of template) {
      const list = perBroker.get(q.brokerName) ?? []
      if (list.length < this.#opts.defaultTopicQueueNums) list.push(q)
      perBroker.set(q.brokerName, list)
    }
    return { queues: [...perBroker.values()].flat(), autoCreate: true }
  }

  #pick(
    queues: readonly MessageQueue[],
    prepared: { shardingKey?: string },
    opts: SendOptions,
    avoidBroker?: string,
  ): MessageQueue {
    if (opts.queue) return opts.queue
    const selector = opts.selector ?? this.#opts.queueSelector
    if (selector) return selector(queues, prepared)
    if (prepared.shardingKey !== undefined) return selectByHash(queues, prepared.shardingKey)
    return this.#roundRobin.select(queues, avoidBroker)
  }

  /** Sends one message and resolves when the broker stored it. */
  async send(message: RocketMQMessage, opts: SendOptions = {}): Promise<RocketMQSendResult> {
    this.#assertUsable()
    const prepared = prepareMessage(message)
    return this.sendPrepared(prepared, opts)
  }

  /** Sends a message whose properties are already final (transactions and replies add theirs). */
  async sendPrepared(
    prepared: PreparedMessage,
    opts: SendOptions = {},
    code: number = RequestCode.SEND_MESSAGE_V2,
  ): Promise<RocketMQSendResult> {
    this.#assertUsable()
    if (prepared.body.length > this.#opts.maxMessageBytes)
      throw new MessageTooLargeError(prepared.body.length, this.#opts.maxMessageBytes)
    let sysFlag = 0
    let body = prepared.body
    if (body.length > this.#opts.compressThreshold) {
      body = await compressBody(this.#opts.compression, body)
      sysFlag |= bodyFlag(this.#opts.compression)
    }
    if (prepared.properties[Property.TRANSACTION_PREPARED] === 'true')
      sysFlag |= MessageSysFlag.TRANSACTION_PREPARED
    const properties = encodeProperties(prepared.properties)
    return this.#sendWithRetries(prepared, opts, async (queue, autoCreate) => {
      const header = sendHeaderV2({
        producerGroup: this.group,
        topic: prepared.topic,
        defaultTopicQueueNums: autoCreate ? this.#opts.defaultTopicQueueNums : undefined,
        queueId: queue.queueId,
        sysFlag,
        bornTimestamp: prepared.bornTimestamp ?? Date.now(),
        flag: prepared.flag,
        properties,
        reconsumeTimes: Number(prepared.properties[Property.RECONSUME_TIME] ?? 0),
        maxReconsumeTimes:
          prepared.properties[Property.MAX_RECONSUME_TIMES] === undefined
            ? undefined
            : Number(prepared.properties[Property.MAX_RECONSUME_TIMES]),
        brokerName: queue.brokerName,
      })
      return createRequest(code, header, body)
    })
  }

  async #sendWithRetries(
    prepared: { topic: string; shardingKey?: string; uniqKey: string },
    opts: SendOptions,
    build: (queue: MessageQueue, autoCreate: boolean) => Promise<ReturnType<typeof createRequest>>,
  ): Promise<RocketMQSendResult> {
    const attempts = opts.queue || prepared.shardingKey !== undefined ? 1 : 1 + this.#opts.retries
    let avoid: string | undefined
    let lastError: unknown
    for (let attempt = 0; attempt < attempts; attempt++) {
      let queue: MessageQueue | undefined
      try {
        const { queues, autoCreate } = await this.queuesOf(prepared.topic)
        queue = this.#pick(queues, prepared, opts, avoid)
        const address = await this.client.brokerAddressOrRefresh(
          queue.brokerName,
          autoCreate ? AUTO_CREATE_TOPIC : prepared.topic,
        )
        await this.client.ensureHeartbeat(address)
        const request = await build(queue, autoCreate)
        const response = await this.client
          .getOrNewBroker(address)
          .request(
            request,
            opts.timeoutMs ?? this.#opts.sendTimeoutMs,
            `send to ${prepared.topic} (${address})`,
          )
        const status = STATUS_BY_CODE.get(response.code)
        if (status === undefined) throw brokerErrorOf(response, `send to ${prepared.topic} (${address})`)
        if (autoCreate) void this.client.route(prepared.topic, true).catch(() => {})
        const h = response.extFields
        return {
          status,
          msgId: prepared.uniqKey,
          offsetMsgId: h.msgId ?? '',
          queue: {
            topic: prepared.topic,
            brokerName: queue.brokerName,
            queueId: h.queueId === undefined ? queue.queueId : Number(h.queueId),
          },
          queueOffset: intField(h, 'queueOffset', 'send response'),
          ...(h.transactionId !== undefined ? { transactionId: h.transactionId } : {}),
        }
      } catch (err) {
        lastError = err
        if (!isRetriableSendError(err)) throw err
        avoid = queue?.brokerName
        // A topic that vanished or a broker that died: look the route up again before retrying.
        void this.client.route(prepared.topic, true).catch(() => {})
      }
    }
    throw lastError
  }

  /** Writes the message without waiting for the broker (no delivery guarantee at all). */
  async sendOneway(message: RocketMQMessage, opts: Omit<SendOptions, 'timeoutMs'> = {}): Promise<void> {
    this.#assertUsable()
    const prepared = prepareMessage(message)
    const { queues, autoCreate } = await this.queuesOf(prepared.topic)
    const queue = this.#pick(queues, prepared, opts)
    const address = await this.client.brokerAddressOrRefresh(
      queue.brokerName,
      autoCreate ? AUTO_CREATE_TOPIC : prepared.topic,
    )
    const header = sendHeaderV2({
      producerGroup: this.group,
      topic: prepared.topic,
      queueId: queue.queueId,
      sysFlag: 0,
      bornTimestamp: Date.now(),
      flag: prepared.flag,
      properties: encodeProperties(prepared.properties),
      brokerName: queue.brokerName,
    })
    await this.client
      .getOrNewBroker(address)
      .oneway(createRequest(RequestCode.SEND_MESSAGE_V2, header, prepared.body))
  }

  /**
   * Sends messages of one topic as one batch (one queue, one request). Batches are not
   * compressed, as in the Java client. Resolves with one result per message.
   */
  async sendBatch(
    messages: readonly RocketMQMessage[],
    opts: SendOptions = {},
  ): Promise<RocketMQSendResult[]> {
    this.#assertUsable()
    if (messages.length === 0) return []
    const prepared = messages.map((m) => prepareMessage(m))
    const topic = prepared[0]!.topic
    for (const p of prepared) {
      if (p.topic !== topic) throw new ConfigError('every message of a batch must have the same topic')
      if (
        p.properties[Property.DELAY_TIME_LEVEL] !== undefined ||
        p.properties[Property.TIMER_DELIVER_MS] !== undefined
      ) {
        throw new ConfigError('delayed messages cannot be batched')
      }
    }
    const body = encodeBatch(prepared.map((p) => ({ body: p.body, flag: p.flag, properties: p.properties })))
    if (body.length > this.#opts.maxMessageBytes)
      throw new MessageTooLargeError(body.length, this.#opts.maxMessageBytes)
    const shardingKey = prepared[0]!.shardingKey
    const first = await this.#sendWithRetries(
      { topic, shardingKey, uniqKey: prepared.map((p) => p.uniqKey).join(',') },
      opts,
      async (queue, autoCreate) =>
        createRequest(
          RequestCode.SEND_BATCH_MESSAGE,
          sendHeaderV2({
            producerGroup: this.group,
            topic,
            defaultTopicQueueNums: autoCreate ? this.#opts.defaultTopicQueueNums : undefined,
            queueId: queue.queueId,
            sysFlag: 0,
            bornTimestamp: Date.now(),
            flag: 0,
            properties: '',
            batch: true,
            brokerName: queue.brokerName,
          }),
          body,
        ),
    )
    // The broker answers a batch with comma-separated offset ids and the first queue offset.
    const offsetIds = first.offsetMsgId.split(',')
    return prepared.map((p, i) => ({
      status: first.status,
      msgId: p.uniqKey,
      offsetMsgId: offsetIds[i] ?? '',
      queue: first.queue,
      queueOffset: first.queueOffset + i,
    }))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#started) await this.client.unregister('producer', this.group)
  }
}

function bodyFlag(codec: CompressionCodec): number {
  return (
    MessageSysFlag.COMPRESSED |
    (codec === 'zlib'
      ? MessageSysFlag.COMPRESSION_ZLIB
      : codec === 'lz4'
        ? MessageSysFlag.COMPRESSION_LZ4
        : MessageSysFlag.COMPRESSION_ZSTD)
  )
}
