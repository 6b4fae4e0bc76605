// The consumer users hold: subscribes to one topic, several topics, every partition of a
// partitioned topic, or every topic of a namespace matching a regex (following new topics), and
// merges what its partition consumers receive into one queue, read with `receive()` or as an
// async iterable. It adds individual, cumulative and batch-index acks, negative acks with a
// redelivery delay, ack-timeout redelivery, a dead-letter policy and a retry-letter topic.

import { ClosedError, ConfigError } from '../../core/errors.ts'
import type { PulsarClient } from '../client.ts'
import { PartitionUpdater } from '../partition-updater.ts'
import type { PartitionUpdateOptions } from '../partition-updater.ts'
import { MessageId } from '../protocol/message-id.ts'
import { PulsarProducer } from '../producer/producer.ts'
import { namespaceOf, parseTopicName, partitionTopic } from '../topic-name.ts'
import type { ChunkingOptions } from './chunks.ts'
import { cryptoFailureAction } from './crypto.ts'
import type { CryptoFailureAction } from './crypto.ts'
import { PulsarMessage } from './message.ts'
import { PartitionConsumer } from './partition-consumer.ts'
import type {
  PartitionConsumerOptions,
  PartitionConsumerOwner,
  SubscriptionType,
} from './partition-consumer.ts'
import { RedeliveryTimer } from './redelivery.ts'

export interface DeadLetterPolicy {
  /** Deliveries after the first before a message goes to the dead-letter topic. */
  maxRedeliverCount: number
  /** Default `<topic>-<subscription>-DLQ`. */
  deadLetterTopic?: string
  /** Default `<topic>-<subscription>-RETRY` (used by reconsumeLater). */
  retryLetterTopic?: string
}

export interface PulsarConsumerOptions extends PartitionUpdateOptions, ChunkingOptions {
  /**
   * Encrypted messages (Conduit does not decrypt): 'fail' (default) hands none out and makes the
   * next receive() reject with EncryptedMessageError, 'discard' acknowledges them, 'consume'
   * delivers the ciphertext with `message.encrypted` set.
   */
  cryptoFailureAction?: CryptoFailureAction
  topic?: string | readonly string[]
  /** Subscribe to every topic of the pattern's namespace that matches (e.g. `persistent://public/default/orders-.*`). */
  topicsPattern?: string
  /** How often to look for new topics matching the pattern. Default 60 000 ms. */
  patternAutoDiscoveryPeriodMs?: number
  subscription: string
  subscriptionType?: SubscriptionType
  initialPosition?: 'earliest' | 'latest'
  receiverQueueSize?: number
  consumerName?: string
  priorityLevel?: number
  /** Redeliver messages not acknowledged within this time (0: off). */
  ackTimeoutMs?: number
  /** Delay before a negatively acknowledged message is redelivered. Default 60 000 ms. */
  nackRedeliveryDelayMs?: number
  deadLetterPolicy?: DeadLetterPolicy
  /** Subscribe to the retry-letter topic too and allow reconsumeLater(). */
  retryEnable?: boolean
  batchIndexAck?: boolean
  /** Wait for the broker to confirm each ack. */
  ackReceipt?: boolean
  readCompacted?: boolean
  properties?: Record<string, string>
  /** Internal: non-durable subscription starting at a message id (readers). */
  durable?: boolean
  startMessageId?: MessageId
  startInclusive?: boolean
  startRollbackSeconds?: number
}

interface Queued {
  from: PartitionConsumer
  generation: number
  message: PulsarMessage
}

const RECONSUME_TIMES = 'RECONSUMETIMES'
const REAL_TOPIC = 'REAL_TOPIC'
const ORIGIN_MESSAGE_ID = 'ORIGIN_MESSAGE_ID'
const DELAY_TIME = 'DELAY_TIME'

export class PulsarConsumer implements PartitionConsumerOwner, AsyncIterable<PulsarMessage> {
  readonly subscription: string
  readonly #client: PulsarClient
  readonly #opts: PulsarConsumerOptions
  readonly #consumers = new Map<string, PartitionConsumer>()
  readonly #queue: Queued[] = []
  #queueHead = 0
  readonly #waiters: Array<{ resolve: (m: PulsarMessage | undefined) => void; reject: (e: Error) => void }> =
    []
  readonly #nacks: RedeliveryTimer<PartitionConsumer>
  readonly #unacked: RedeliveryTimer<PartitionConsumer> | undefined
  readonly #owners = new Map<string, PartitionConsumer>()
  #dlqProducer: Promise<PulsarProducer> | undefined
  #retryProducer: Promise<PulsarProducer> | undefined
  #patternTimer: ReturnType<typeof setInterval> | undefined
  /** One per partitioned topic: joins partitions added to it later. */
  readonly #updaters = new Map<string, PartitionUpdater>()
  #watcher: { close(): Promise<void> } | undefined
  #closed = false
  /** Errors of messages not handed out (encrypted, 'fail'), each surfaced by one receive(). */
  readonly #pendingErrors: Error[] = []
  #paused = false
  #error: Error | undefined
  #endOfTopic = 0

  private constructor(client: PulsarClient, opts: PulsarConsumerOptions) {
    this.#client = client
    this.#opts = opts
    this.subscription = opts.subscription
    this.#nacks = new RedeliveryTimer(
      Math.min(1000, Math.max(10, (opts.nackRedeliveryDelayMs ?? 60_000) / 4)),
      (pc, ids) => pc.redeliver(ids),
    )
    if (opts.ackTimeoutMs && opts.ackTimeoutMs > 0) {
      this.#unacked = new RedeliveryTimer(Math.min(1000, Math.max(10, opts.ackTimeoutMs / 4)), (pc, ids) =>
        pc.redeliver(ids),
      )
    }
  }

  static async create(client: PulsarClient, opts: PulsarConsumerOptions): Promise<PulsarConsumer> {
    if (typeof opts.subscription !== 'string' || opts.subscription.length === 0)
      throw new ConfigError('a subscription name is required')
    if (opts.topic === undefined && opts.topicsPattern === undefined)
      throw new ConfigError('give topic, a list of topics, or topicsPattern')
    if (
      opts.receiverQueueSize !== undefined &&
      (!Number.isInteger(opts.receiverQueueSize) || opts.receiverQueueSize < 1)
    ) {
      throw new ConfigError('receiverQueueSize must be a positive integer')
    }
    const dlp = opts.deadLetterPolicy
    if (dlp && (!Number.isInteger(dlp.maxRedeliverCount) || dlp.maxRedeliverCount < 1))
      throw new ConfigError('deadLetterPolicy.maxRedeliverCount must be >= 1')
    const c = new PulsarConsumer(client, opts)
    try {
      const topics =
        opts.topic === undefined ? [] : typeof opts.topic === 'string' ? [opts.topic] : [...opts.topic]
      if (opts.retryEnable) {
        for (const t of [...topics]) topics.push(c.#retryTopic(parseTopicName(t).full))
      }
      for (const t of topics) await c.#addTopic(parseTopicName(t).full)
      if (opts.topicsPattern !== undefined) {
        await c.#discover()
        await c.#watch()
        c.#patternTimer = setInterval(
          () => void c.#discover().catch(() => undefined),
          opts.patternAutoDiscoveryPeriodMs ?? 60_000,
        )
        c.#patternTimer.unref()
      }
    } catch (err) {
      await c.close()
      throw err
    }
    client.track(c)
    return c
  }

  #retryTopic(topic: string): string {
    return this.#opts.deadLetterPolicy?.retryLetterTopic ?? `${topic}-${this.subscription}-RETRY`
  }

  #deadLetterTopic(topic: string): string {
    return this.#opts.deadLetterPolicy?.deadLetterTopic ?? `${topic}-${this.subscription}-DLQ`
  }

  /** Subscribes to every partition of `topic` (or the topic itself when not partitioned). */
  async #addTopic(topic: string): Promise<void> {
    if (this.#consumers.has(topic)) return
    const partitions = await this.#client.partitions(topic)
    const names =
      partitions === 0
        ? [[topic, -1] as const]
        : Array.from({ length: partitions }, (_, i) => [partitionTopic(topic, i), i] as const)
    const o = this.#opts
    const pco: PartitionConsumerOptions = {
      subscription: o.subscription,
      subscriptionType: o.subscriptionType ?? 'Exclusive',
      initialPosition: o.initialPosition ?? 'latest',
      receiverQueueSize: o.receiverQueueSize ?? 1000,
      durable: o.durable ?? true,
      batchIndexAck: o.batchIndexAck ?? false,
      ackReceipt: o.ackReceipt ?? false,
      ...(o.consumerName !== undefined ? { consumerName: o.consumerName } : {}),
      ...(o.priorityLevel !== undefined ? { priorityLevel: o.priorityLevel } : {}),
      ...(o.startMessageId
        ? { startMessageId: o.startMessageId, startInclusive: o.startInclusive ?? false }
        : {}),
      ...(o.readCompacted ? { readCompacted: true } : {}),
      ...(o.startRollbackSeconds ? { startRollbackSeconds: o.startRollbackSeconds } : {}),
      ...(o.properties ? { properties: o.properties } : {}),
      cryptoFailureAction: cryptoFailureAction(o.cryptoFailureAction),
      ...(o.maxPendingChunkedMessage !== undefined
        ? { maxPendingChunkedMessage: o.maxPendingChunkedMessage }
        : {}),
      ...(o.expireTimeOfIncompleteChunkedMessageMs !== undefined
        ? { expireTimeOfIncompleteChunkedMessageMs: o.expireTimeOfIncompleteChunkedMessageMs }
        : {}),
      ...(o.autoAckOldestChunkedMessageOnQueueFull !== undefined
        ? { autoAckOldestChunkedMessageOnQueueFull: o.autoAckOldestChunkedMessageOnQueueFull }
        : {}),
    }
    this.#consumers.set(topic, undefined as unknown as PartitionConsumer)
    try {
      for (const [name, partition] of names) {
        const pc = await PartitionConsumer.create(
          this.#client,
          name,
          partition,
          this.#startFor(pco, partition),
          this,
        )
        this.#owners.set(name, pc)
      }
      this.#consumers.set(topic, this.#owners.get(names[0]![0])!)
    } catch (err) {
      this.#consumers.delete(topic)
      throw err
    }
    if (partitions > 0) {
      const updater = PartitionUpdater.start(this.#client, topic, partitions, o, (from, to) =>
        this.#grow(topic, pco, from, to),
      )
      if (updater) this.#updaters.set(topic, updater)
    }
  }

  /**
   * Subscribes to partitions `from … to - 1` added to `topic` since. They start at the earliest
   * message: whatever producers sent there before this subscription reached them belongs to the
   * subscription as much as what came after (starting at 'latest' would lose it).
   */
  async #grow(topic: string, pco: PartitionConsumerOptions, from: number, to: number): Promise<void> {
    const fresh: PartitionConsumerOptions = {
      ...pco,
      initialPosition: 'earliest',
      ...(pco.startMessageId ? { startMessageId: MessageId.earliest, startInclusive: true } : {}),
    }
    for (let i = from; i < to; i++) {
      const name = partitionTopic(topic, i)
      if (this.#owners.has(name)) continue
      if (this.#closed) return
      const pc = await PartitionConsumer.create(this.#client, name, i, fresh, this)
      this.#owners.set(name, pc)
    }
  }

  /**
   * A specific start id names one partition (its ledger and entry mean nothing on another
   * partition's ledgers): that partition starts there, the others at `initialPosition`.
   */
  #startFor(pco: PartitionConsumerOptions, partition: number): PartitionConsumerOptions {
    const start = pco.startMessageId
    if (!start || partition < 0 || start.partition < 0 || start.partition === partition) return pco
    if (start.equals(MessageId.earliest) || start.equals(MessageId.latest)) return pco
    const other = pco.initialPosition === 'earliest' ? MessageId.earliest : MessageId.latest
    return { ...pco, startMessageId: other, startInclusive: false }
  }

  async #discover(): Promise<void> {
    const { ns, re } = this.#pattern()
    const topics = await this.#client.topicsOfNamespace(ns)
    const bases = new Set(topics.map((t) => parseTopicName(t).partitionedTopic))
    for (const t of bases) if (re.test(t) && !this.#consumers.has(t)) await this.#addTopic(t)
  }

  /**
   * Follows new topics as the broker announces them (WATCH_TOPIC_LIST); the periodic listing stays
   * as the safety net for brokers without topic watchers and for a watch lost with its connection.
   */
  async #watch(): Promise<void> {
    const { ns, re, full } = this.#pattern()
    try {
      this.#watcher = await this.#client.watchTopicList(ns, full, (added) => {
        const bases = new Set(added.map((t) => parseTopicName(t).partitionedTopic))
        for (const t of bases) {
          if (re.test(t) && !this.#consumers.has(t) && !this.#closed)
            void this.#addTopic(t).catch(() => undefined)
        }
      })
    } catch {
      this.#watcher = undefined // not supported or not reachable: listing only
    }
  }

  #pattern(): { ns: string; re: RegExp; full: string } {
    const pattern = this.#opts.topicsPattern!
    const ns = namespaceOf(pattern.replace(/\.\*|[()[\]+?^$|\\]/g, 'x'))
    const full = pattern.includes('://') ? pattern : `persistent://${ns}/${pattern.split('/').pop()}`
    return { ns, re: new RegExp(`^${full}$`), full }
  }

  /** The topics this consumer currently reads (partitioned topics by their base name). */
  get topics(): string[] {
    return [...this.#consumers.keys()]
  }

  // --- PartitionConsumerOwner ---------------------------------------------------------------

  deliver(from: PartitionConsumer, messages: PulsarMessage[]): void {
    if (messages.length === 0) {
      // A new generation: drop what is still queued from this partition and its pending timed
      // redeliveries (the broker redelivers all of it).
      this.#dropStale(from)
      this.#nacks.dropOwner(from)
      this.#unacked?.dropOwner(from)
      return
    }
    const dlp = this.#opts.deadLetterPolicy
    const generation = from.generation
    for (const message of messages) {
      if (dlp && message.redeliveryCount > dlp.maxRedeliverCount) {
        void this.#sendToDeadLetter(from, message)
        continue
      }
      this.#push({ from, generation, message })
    }
  }

  failed(_from: PartitionConsumer, err: Error): void {
    this.#error = err
    for (const w of this.#waiters.splice(0)) w.reject(err)
  }

  /**
   * An encrypted message that was not handed out ('fail'): the next receive() rejects with its
   * error (a waiting one at once); with an ack timeout it is redelivered, like any unacknowledged
   * message, and fails again.
   */
  undecryptable(from: PartitionConsumer, message: PulsarMessage, error: Error): void {
    if (this.#unacked) {
      const at = Date.now() + this.#opts.ackTimeoutMs!
      for (const id of message.chunkIds ?? [message.messageId]) this.#unacked.add(from, id, at)
    }
    const waiter = this.#waiters.shift()
    if (waiter) waiter.reject(error)
    else this.#pendingErrors.push(error)
  }

  /**
   * Chunks of an incomplete message dropped unacknowledged: with an ack timeout they are redelivered
   * when it expires (as the Java client's trackMessage does); without one, at the next reconnect.
   */
  unackedChunks(from: PartitionConsumer, ids: MessageId[]): void {
    if (!this.#unacked) return
    const at = Date.now() + this.#opts.ackTimeoutMs!
    for (const id of ids) this.#unacked.add(from, id, at)
  }

  endOfTopic(): void {
    this.#endOfTopic++
  }

  #push(q: Queued): void {
    const waiter = this.#waiters.shift()
    if (waiter) waiter.resolve(this.#handOut(q))
    else this.#queue.push(q)
  }

  #dropStale(from: PartitionConsumer): void {
    let dropped = 0
    const kept: Queued[] = []
    for (let i = this.#queueHead; i < this.#queue.length; i++) {
      const q = this.#queue[i]!
      if (q.from === from && q.generation !== from.generation) dropped++
      else kept.push(q)
    }
    if (dropped > 0) {
      this.#queue.length = 0
      this.#queueHead = 0
      this.#queue.push(...kept)
    }
  }

  /** Bookkeeping for a message leaving the queue to the application; returns it. */
  #handOut(q: Queued): PulsarMessage {
    q.from.consumed(1)
    q.from.markDelivered(q.message.messageId)
    if (this.#unacked) this.#unacked.add(q.from, q.message.messageId, Date.now() + this.#opts.ackTimeoutMs!)
    return q.message
  }

  #take(): Queued | undefined {
    while (this.#queueHead < this.#queue.length) {
      const q = this.#queue[this.#queueHead]!
      this.#queue[this.#queueHead++] = undefined as unknown as Queued
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#queueHead)
        this.#queueHead = 0
      }
      if (q.generation === q.from.generation) return q
    }
    return undefined
  }

  /** Number of messages received and waiting in the local queue. */
  get queued(): number {
    return this.#queue.length - this.#queueHead
  }

  /** The next message; waits for one. Resolves undefined once the consumer closes. */
  receive(signal?: AbortSignal): Promise<PulsarMessage | undefined> {
    if (this.#error) return Promise.reject(this.#error)
    if (this.#closed) return Promise.resolve(undefined)
    const pendingError = this.#pendingErrors.shift()
    if (pendingError) return Promise.reject(pendingError)
    if (!this.#paused) {
      const q = this.#take()
      if (q) return Promise.resolve(this.#handOut(q))
    }
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject }
      this.#waiters.push(waiter)
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.#waiters.indexOf(waiter)
          if (i >= 0) this.#waiters.splice(i, 1)
          resolve(undefined)
        },
        { once: true },
      )
    })
  }

  /** Up to `max` messages already in the local queue, without waiting (none while paused). */
  receiveNow(max: number): PulsarMessage[] {
    const out: PulsarMessage[] = []
    while (out.length < max && !this.#paused && !this.#closed) {
      const q = this.#take()
      if (!q) break
      out.push(this.#handOut(q))
    }
    return out
  }

  /** Up to `max` messages already queued (at least one: waits for the first). */
  async receiveBatch(max: number, signal?: AbortSignal): Promise<PulsarMessage[]> {
    const first = await this.receive(signal)
    if (!first) return []
    const out = [first]
    while (out.length < max && !this.#paused) {
      const q = this.#take()
      if (!q) break
      out.push(this.#handOut(q))
    }
    return out
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PulsarMessage> {
    for (;;) {
      const m = await this.receive()
      if (!m) return
      yield m
    }
  }

  pause(): void {
    this.#paused = true
  }

  resume(): void {
    this.#paused = false
    while (this.#waiters.length > 0) {
      const q = this.#take()
      if (!q) break
      this.#waiters.shift()!.resolve(this.#handOut(q))
    }
  }

  #ownerOf(message: PulsarMessage | MessageId, topic?: string): PartitionConsumer {
    const t = message instanceof PulsarMessage ? message.topic : topic
    const pc = t === undefined ? undefined : this.#owners.get(t)
    if (pc) return pc
    if (this.#owners.size === 1) return this.#owners.values().next().value!
    throw new ConfigError('cannot tell which topic this message id belongs to: pass the message')
  }

  acknowledge(message: PulsarMessage): Promise<void> {
    // Not async: it runs once per message, and the tracker's promise is returned as it is instead
    // of being wrapped in one more. Errors still come back as a rejected promise.
    try {
      // The trackers are keyed by the id's text; building it for every ack cost more than the ack
      // itself, so it is built only when a tracker holds anything.
      if (this.#unacked !== undefined && this.#unacked.size > 0) this.#unacked.remove(message.messageId)
      if (this.#nacks.size > 0) this.#nacks.remove(message.messageId)
      const pc = this.#ownerOf(message)
      if (message.chunkIds) {
        return Promise.all(message.chunkIds.map((id) => pc.acks.ack(id))).then(() => undefined)
      }
      return pc.acks.ack(message.messageId)
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  async acknowledgeCumulative(message: PulsarMessage): Promise<void> {
    const pc = this.#ownerOf(message)
    if (pc.subscriptionType === 'Shared' || pc.subscriptionType === 'Key_Shared') {
      throw new ConfigError('cumulative acknowledgement is not allowed on Shared or Key_Shared subscriptions')
    }
    // Only this partition's messages up to this one are acknowledged: the ack timeout and pending
    // negative acks of other partitions and topics, and of later messages, still apply.
    this.#unacked?.removeUpTo(pc, message.messageId)
    this.#nacks.removeUpTo(pc, message.messageId)
    await pc.acks.ackCumulative(message.messageId)
  }

  /** Redelivers the message after the negative-ack delay. */
  negativeAcknowledge(message: PulsarMessage): void {
    this.#unacked?.remove(message.messageId)
    this.#nacks.add(
      this.#ownerOf(message),
      message.messageId,
      Date.now() + (this.#opts.nackRedeliveryDelayMs ?? 60_000),
    )
  }

  /**
   * Retry-letter topic: acknowledges the message and publishes it again to the retry topic,
   * delivered after `delayMs`; past maxRedeliverCount it goes to the dead-letter topic instead.
   */
  async reconsumeLater(message: PulsarMessage, delayMs: number): Promise<void> {
    if (!this.#opts.retryEnable) throw new ConfigError('reconsumeLater needs retryEnable: true')
    const dlp = this.#opts.deadLetterPolicy
    const times = Number(message.properties[RECONSUME_TIMES] ?? '0') + 1
    const realTopic = message.properties[REAL_TOPIC] ?? parseTopicName(message.topic).partitionedTopic
    const properties: Record<string, string> = {
      ...message.properties,
      [RECONSUME_TIMES]: String(times),
      [REAL_TOPIC]: realTopic,
      [ORIGIN_MESSAGE_ID]: message.properties[ORIGIN_MESSAGE_ID] ?? message.messageId.toString(),
      [DELAY_TIME]: String(delayMs),
    }
    const input = {
      key: message.key,
      value: message.value,
      properties,
      ...(message.eventTime > 0 ? { eventTime: message.eventTime } : {}),
    }
    if (dlp && times > dlp.maxRedeliverCount) {
      const p = await this.#producerFor('dlq', this.#deadLetterTopic(realTopic))
      await p.send(input)
    } else {
      const p = await this.#producerFor('retry', this.#retryTopic(realTopic))
      await p.send({ ...input, deliverAfterMs: delayMs })
    }
    await this.acknowledge(message)
  }

  #producerFor(kind: 'dlq' | 'retry', topic: string): Promise<PulsarProducer> {
    if (kind === 'dlq') {
      this.#dlqProducer ??= PulsarProducer.create(this.#client, { topic, batching: false })
      return this.#dlqProducer
    }
    this.#retryProducer ??= PulsarProducer.create(this.#client, { topic, batching: false })
    return this.#retryProducer
  }

  async #sendToDeadLetter(from: PartitionConsumer, message: PulsarMessage): Promise<void> {
    try {
      const realTopic = message.properties[REAL_TOPIC] ?? parseTopicName(message.topic).partitionedTopic
      const p = await this.#producerFor('dlq', this.#deadLetterTopic(realTopic))
      await p.send({
        key: message.key,
        value: message.value,
        properties: {
          ...message.properties,
          [REAL_TOPIC]: realTopic,
          [ORIGIN_MESSAGE_ID]: message.messageId.toString(),
        },
        ...(message.eventTime > 0 ? { eventTime: message.eventTime } : {}),
      })
      // Only after the dead-letter topic has it: the original is acknowledged.
      from.consumed(1)
      if (message.chunkIds) await Promise.all(message.chunkIds.map((id) => from.acks.ack(id)))
      else await from.acks.ack(message.messageId)
    } catch {
      // Not acknowledged: the broker redelivers it and we try again.
      from.consumed(1)
    }
  }

  async seek(target: MessageId | number | Date): Promise<void> {
    const t = target instanceof Date ? target.getTime() : target
    const owners = [...this.#owners.values()]
    // A seek makes the broker redeliver from the new position on the partitions it moved, so only
    // their ack-timeout and negative-ack entries are dropped; other partitions keep theirs.
    let moved: PartitionConsumer[] = owners
    if (t instanceof MessageId) {
      const pc = owners.length === 1 ? owners[0] : owners.find((o) => o.partition === t.partition)
      if (!pc) throw new ConfigError(`no partition ${t.partition} in this consumer`)
      moved = [pc]
    }
    await Promise.all(moved.map((pc) => pc.seek(t)))
    for (const pc of moved) {
      this.#unacked?.dropOwner(pc)
      this.#nacks.dropOwner(pc)
    }
  }

  async getLastMessageIds(): Promise<
    { topic: string; last: MessageId; markDelete: MessageId | undefined }[]
  > {
    return Promise.all(
      [...this.#owners.values()].map(async (pc) => ({ topic: pc.topic, ...(await pc.getLastMessageId()) })),
    )
  }

  /** True when a message after the last one handed out exists on any partition. */
  async hasMessageAvailable(): Promise<boolean> {
    if (this.queued > 0) return true
    for (const pc of this.#owners.values()) {
      const { last, markDelete } = await pc.getLastMessageId()
      if (last.entryId < 0n) continue
      const delivered = pc.lastDelivered
      if (delivered) {
        // Within a batch the indexes count; an unbatched id (-1) covers its whole entry.
        const cmp = last.sameEntry(delivered) && delivered.batchIndex < 0 ? 0 : last.compare(delivered)
        if (cmp > 0) return true
        continue
      }
      // Nothing handed out yet: the cursor's mark-delete position covers whole entries.
      if (!markDelete) return true
      const entryOfLast = new MessageId(last.ledgerId, last.entryId, last.partition)
      if (
        entryOfLast.compare(new MessageId(markDelete.ledgerId, markDelete.entryId, markDelete.partition)) > 0
      )
        return true
    }
    return false
  }

  get reachedEndOfTopic(): boolean {
    return this.#endOfTopic > 0 && this.#endOfTopic >= this.#owners.size
  }

  async unsubscribe(): Promise<void> {
    await Promise.all([...this.#owners.values()].map((pc) => pc.unsubscribe()))
    await this.close()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#client.untrack(this)
    if (this.#patternTimer) clearInterval(this.#patternTimer)
    // A growth in progress finishes first, so its new partition consumers are closed below too.
    // (No await without updaters: an extra turn here would let acks queue up behind the close.)
    if (this.#updaters.size > 0) await Promise.all([...this.#updaters.values()].map((u) => u.stop()))
    await this.#watcher?.close()
    this.#nacks.stop()
    this.#unacked?.stop()
    for (const w of this.#waiters.splice(0)) w.resolve(undefined)
    await Promise.allSettled([...this.#owners.values()].map((pc) => pc.close()))
    const producers = [this.#dlqProducer, this.#retryProducer].filter((p) => p !== undefined)
    await Promise.allSettled(producers.map(async (p) => (await p).close()))
  }

  assertOpen(): void {
    if (this.#closed) throw new ClosedError('consumer is closed')
  }
}
