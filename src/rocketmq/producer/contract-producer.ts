// The common-contract Producer over the native RocketMQ producer.
//
// Each message is assigned a queue up front (partition → that queue, key → hash, else
// round-robin) and joins that queue's lane. A lane sends one request at a time, so messages of
// one queue are stored in send order; everything waiting in a lane when the previous request
// returns goes out as one batch (SEND_BATCH_MESSAGE). Lanes of different queues run in parallel.
// A retriable failure (connection lost, broker restarting, flow control) is retried in the same
// lane until `deliveryTimeoutMs`, so order holds and nothing acknowledged is lost.

import type { CloseProducerOptions, MessageInput, Producer, SendResult } from '../../core/contract.ts'
import { sleep } from '../../core/backoff.ts'
import { ClosedError, ConfigError } from '../../core/errors.ts'
import { strictUtf8, toBytes, validateMessageInput } from '../../core/message.ts'
import { queueKey, type MessageQueue } from '../protocol/route.ts'
import type { RocketMQMessage, RocketMQSendResult } from './message.ts'
import { isRetriableSendError, type RocketMQProducer } from './producer.ts'
import { RoundRobin, selectByHash } from './queue-selector.ts'

/** Property holding a key that KEYS cannot carry (not UTF-8, empty, or with spaces). */
export const BINARY_KEY_PROPERTY = 'CONDUIT_KEY_B64'
/**
 * The broker cannot store an empty body (it fails on a frame without one), so an empty value
 * travels as one zero byte marked with this property and comes back empty.
 */
export const EMPTY_VALUE_PROPERTY = 'CONDUIT_EMPTY_VALUE'
/** The broker drops properties with empty values; their names travel here (JSON array). */
export const EMPTY_HEADERS_PROPERTY = 'CONDUIT_EMPTY_HEADERS'

export interface ContractProducerOptions {
  topic: string
  bufferSize?: number
  onAck?: (count: number) => void
  /** Give up on a message after retrying this long. Default 30 000 ms. */
  deliveryTimeoutMs?: number
  /** Most messages in one batch request. Default 256. */
  maxBatchMessages?: number
  /** Most body bytes in one batch request. Default 1 MiB. */
  maxBatchBytes?: number
}

interface Pending {
  message: RocketMQMessage
  queue: MessageQueue
  partition: number
  size: number
  resolve: (r: SendResult) => void
  reject: (err: unknown) => void
  settled: boolean
  ok: boolean
  fromTry: boolean
}

interface Lane {
  waiting: Pending[]
  running: boolean
}

export function messageId(queue: MessageQueue, offset: number): string {
  return `rmq:${encodeURIComponent(queue.brokerName)}:${queue.queueId}:${offset}:${queue.topic}`
}

export function parseMessageId(id: string): { queue: MessageQueue; offset: number } {
  const m = /^rmq:([^:]+):(\d+):(\d+):(.+)$/.exec(id)
  if (!m) throw new ConfigError(`"${id}" is not a RocketMQ message id from this driver`)
  return {
    queue: { brokerName: decodeURIComponent(m[1]!), queueId: Number(m[2]), topic: m[4]! },
    offset: Number(m[3]),
  }
}

/** Converts a contract message into a native one (key → KEYS or the binary-key property). */
export function toNativeMessage(topic: string, input: MessageInput): RocketMQMessage {
  validateMessageInput(input)
  if (input.value === null)
    throw new ConfigError('RocketMQ has no null (tombstone) messages: capabilities.nullValues is false')
  const properties: Record<string, string> = { ...(input.headers ?? {}) }
  for (const reserved of [BINARY_KEY_PROPERTY, EMPTY_VALUE_PROPERTY, EMPTY_HEADERS_PROPERTY]) {
    if (reserved in properties) throw new ConfigError(`header name ${reserved} is reserved by the driver`)
  }
  const emptyHeaders = Object.keys(properties).filter((k) => properties[k] === '')
  if (emptyHeaders.length > 0) {
    for (const k of emptyHeaders) delete properties[k]
    properties[EMPTY_HEADERS_PROPERTY] = JSON.stringify(emptyHeaders)
  }
  const empty = input.value.length === 0
  if (empty) properties[EMPTY_VALUE_PROPERTY] = 'true'
  const native: RocketMQMessage = { topic, body: empty ? new Uint8Array(1) : input.value, properties }
  if (input.key !== undefined && input.key !== null) {
    const bytes = toBytes(input.key)
    const text = strictUtf8(bytes)
    if (text !== undefined && text !== '' && !/\s/.test(text)) native.keys = text
    else properties[BINARY_KEY_PROPERTY] = Buffer.from(bytes).toString('base64')
    native.shardingKey = text ?? Buffer.from(bytes).toString('base64')
  }
  if (input.timestamp !== undefined) native.timestamp = input.timestamp
  return native
}

export class ContractProducer implements Producer {
  readonly topic: string
  readonly #native: RocketMQProducer
  readonly #opts: ContractProducerOptions
  readonly #bufferSize: number
  readonly #lanes = new Map<string, Lane>()
  readonly #order: Pending[] = []
  readonly #roundRobin = new RoundRobin()
  #unsettled = 0
  #spaceWaiters: (() => void)[] = []
  #idleWaiters: (() => void)[] = []
  #tryErrors: unknown[] = []
  #closed = false

  constructor(native: RocketMQProducer, opts: ContractProducerOptions) {
    this.#native = native
    this.#opts = opts
    this.topic = opts.topic
    this.#bufferSize = opts.bufferSize ?? 1000
    if (!Number.isInteger(this.#bufferSize) || this.#bufferSize < 1)
      throw new ConfigError('bufferSize must be an integer >= 1')
  }

  send(message: MessageInput): Promise<SendResult>
  send(messages: readonly MessageInput[]): Promise<SendResult[]>
  async send(input: MessageInput | readonly MessageInput[]): Promise<SendResult | SendResult[]> {
    if (this.#closed) throw new ClosedError(`producer for ${this.topic} is closed`)
    const list = Array.isArray(input) ? (input as readonly MessageInput[]) : [input as MessageInput]
    const natives = list.map((m) => toNativeMessage(this.topic, m))
    const promises: Promise<SendResult>[] = []
    for (const [i, native] of natives.entries()) {
      while (this.#unsettled >= this.#bufferSize) await new Promise<void>((r) => this.#spaceWaiters.push(r))
      if (this.#closed) throw new ClosedError(`producer for ${this.topic} is closed`)
      promises.push((await this.#enqueue(native, list[i]!.partition, false)).done)
    }
    const results = await Promise.all(promises)
    return Array.isArray(input) ? results : results[0]!
  }

  trySend(message: MessageInput): boolean {
    if (this.#closed) throw new ClosedError(`producer for ${this.topic} is closed`)
    const native = toNativeMessage(this.topic, message)
    if (this.#unsettled >= this.#bufferSize) return false
    this.#unsettled++ // reserve the slot now; #enqueue takes it over
    void this.#enqueue(native, message.partition, true, true).then(
      (p) => p.done.catch(() => {}),
      (err: unknown) => {
        this.#tryErrors.push(err)
      },
    )
    return true
  }

  /** Picks the queue and joins its lane; resolves once queued, with the send's promise in `done`. */
  async #enqueue(
    message: RocketMQMessage,
    requested: number | undefined,
    fromTry: boolean,
    reserved = false,
  ): Promise<{ done: Promise<SendResult> }> {
    if (!reserved) this.#unsettled++
    let queues: MessageQueue[]
    try {
      queues = (await this.#native.queuesOf(this.topic)).queues
    } catch (err) {
      this.#release()
      throw err
    }
    let queue: MessageQueue
    let partition: number
    if (requested !== undefined) {
      partition = requested
      if (partition >= queues.length) {
        this.#release()
        throw new ConfigError(
          `topic ${this.topic} has ${queues.length} queues; partition ${partition} does not exist`,
        )
      }
      queue = queues[partition]!
    } else {
      queue =
        message.shardingKey !== undefined
          ? selectByHash(queues, message.shardingKey)
          : this.#roundRobin.select(queues)
      partition = queues.indexOf(queue)
    }
    const done = new Promise<SendResult>((resolve, reject) => {
      const pending: Pending = {
        message,
        queue,
        partition,
        size: typeof message.body === 'string' ? Buffer.byteLength(message.body) : message.body.length,
        resolve,
        reject,
        settled: false,
        ok: false,
        fromTry,
      }
      this.#order.push(pending)
      const key = queueKey(queue)
      let lane = this.#lanes.get(key)
      if (!lane) {
        lane = { waiting: [], running: false }
        this.#lanes.set(key, lane)
      }
      lane.waiting.push(pending)
      if (!lane.running) void this.#runLane(lane)
    })
    // Wrapped so that awaiting the enqueue does not also await the send.
    return { done }
  }

  async #runLane(lane: Lane): Promise<void> {
    lane.running = true
    const maxMessages = this.#opts.maxBatchMessages ?? 256
    const maxBytes = this.#opts.maxBatchBytes ?? 1024 * 1024
    while (lane.waiting.length > 0) {
      const batch: Pending[] = [lane.waiting.shift()!]
      let bytes = batch[0]!.size
      while (
        lane.waiting.length > 0 &&
        batch.length < maxMessages &&
        bytes + lane.waiting[0]!.size <= maxBytes
      ) {
        const next = lane.waiting.shift()!
        bytes += next.size
        batch.push(next)
      }
      await this.#deliver(batch)
    }
    lane.running = false
  }

  async #deliver(batch: Pending[]): Promise<void> {
    const deadline = Date.now() + (this.#opts.deliveryTimeoutMs ?? 30_000)
    let delay = 100
    for (;;) {
      try {
        const queue = batch[0]!.queue
        const results: RocketMQSendResult[] =
          batch.length === 1
            ? [await this.#native.send(batch[0]!.message, { queue })]
            : await this.#native.sendBatch(
                batch.map((p) => p.message),
                { queue },
              )
        batch.forEach((p, i) =>
          this.#settle(p, true, {
            topic: this.topic,
            partition: p.partition,
            offset: results[i]!.queueOffset,
            id: messageId(queue, results[i]!.queueOffset),
          }),
        )
        return
      } catch (err) {
        if (!isRetriableSendError(err) || Date.now() + delay > deadline) {
          for (const p of batch) this.#settle(p, false, err)
          return
        }
        await sleep(delay)
        delay = Math.min(delay * 2, 2000)
      }
    }
  }

  #settle(p: Pending, ok: boolean, value: unknown): void {
    if (p.settled) return
    p.settled = true
    p.ok = ok
    if (ok) p.resolve(value as SendResult)
    else {
      if (p.fromTry) this.#tryErrors.push(value)
      p.reject(value)
    }
    // onAck reports in send order: count the settled prefix of the submission order.
    let acked = 0
    while (this.#order.length > 0 && this.#order[0]!.settled) {
      if (this.#order.shift()!.ok) acked++
    }
    if (acked > 0 && this.#opts.onAck) this.#opts.onAck(acked)
    this.#release()
  }

  #release(): void {
    this.#unsettled--
    const waiter = this.#spaceWaiters.shift()
    if (waiter) waiter()
    if (this.#unsettled === 0) {
      const idle = this.#idleWaiters
      this.#idleWaiters = []
      for (const w of idle) w()
    }
  }

  async flush(): Promise<void> {
    if (this.#unsettled > 0) await new Promise<void>((r) => this.#idleWaiters.push(r))
    if (this.#tryErrors.length > 0) {
      const [first] = this.#tryErrors
      this.#tryErrors = []
      throw first
    }
  }

  async close(options: CloseProducerOptions = {}): Promise<number> {
    if (this.#closed) return 0
    this.#closed = true
    let dropped = 0
    if (options.drop) {
      const err = new ClosedError(`producer for ${this.topic} closed with drop: message not sent`)
      for (const lane of this.#lanes.values()) {
        for (const p of lane.waiting.splice(0)) {
          dropped++
          p.fromTry = false
          this.#settle(p, false, err)
        }
      }
    }
    for (const w of this.#spaceWaiters.splice(0)) w()
    if (this.#unsettled > 0) await new Promise<void>((r) => this.#idleWaiters.push(r))
    await this.#native.close()
    return dropped
  }
}
