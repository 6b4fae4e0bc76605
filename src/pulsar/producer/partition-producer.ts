// A producer on one topic partition (or a non-partitioned topic). Messages get sequence ids in
// send order; they are batched (max messages, bytes, delay), compressed, chunked when larger than
// the broker's max message size, and kept in the pending queue until their SEND_RECEIPT. When the
// connection dies or the broker closes the producer (unload, failover, migration) the producer
// looks the topic up again, re-registers with the same name and epoch + 1, and re-sends every
// pending message with its original sequence id, so a broker with deduplication stores each once.
//
// Why receipts are matched against the head of the queue: the broker persists and acknowledges a
// producer's messages in order. A receipt for a later sequence id than the head means a message
// was lost between us and the broker; the Java client then re-sends from the head, and so do we
// (by cycling the connection).

import {
  BufferFullError,
  ClosedError,
  ConfigError,
  ConnectionError,
  TimeoutError,
} from '../../core/errors.ts'
import type { PulsarClient } from '../client.ts'
import type { ConnectionListener, PulsarConnection } from '../connection.ts'
import { CommandType } from '../protocol/commands.ts'
import { compressionType } from '../protocol/compression.ts'
import type { DecodedFrame } from '../protocol/frame.ts'
import { ProducerAccessMode } from '../protocol/generated/pulsar-api_pb.ts'
import type { CompressionType } from '../protocol/generated/pulsar-api_pb.ts'
import { MessageId } from '../protocol/message-id.ts'
import { ServerError, brokerError } from '../protocol/server-errors.ts'
import type { PreparedMessage } from './message-builder.ts'
import { batchKey, buildBatch, buildSingle } from './op-send.ts'
import type { OpContext, OpSend, Queued, Waiter } from './op-send.ts'

export type AccessMode = 'Shared' | 'Exclusive' | 'WaitForExclusive' | 'ExclusiveWithFencing'

export interface PulsarProducerOptions {
  topic: string
  /** A stable name is what broker-side deduplication keys on. Default: assigned by the broker. */
  producerName?: string
  accessMode?: AccessMode
  /** Default true. */
  batching?: boolean
  batchingMaxMessages?: number
  batchingMaxBytes?: number
  batchingMaxDelayMs?: number
  /** Split messages larger than the broker's max message size into chunks. Default false. */
  chunking?: boolean
  compression?: 'none' | 'lz4' | 'zlib' | 'zstd' | 'snappy'
  /** Fail a message not acknowledged within this time (0: never). Default 30 000 ms. */
  sendTimeoutMs?: number
  /** Most messages waiting for a receipt (batched or in flight). Default 1000. */
  maxPendingMessages?: number
  /** When the pending queue is full: wait (default) or fail with BufferFullError. */
  blockIfQueueFull?: boolean
  /** First sequence id to use; default: one past what the broker last stored for this name. */
  initialSequenceId?: number
  /**
   * One open batch per key, so every batch holds one key (use with Key_Shared subscriptions,
   * which dispatch a batch as a whole by its key). Not with broker deduplication: the batches'
   * sequence ranges interleave. Default false.
   */
  batchingByKey?: boolean
  /** Producer metadata shown in topic stats. */
  properties?: Record<string, string>
}

type State = 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed' | 'failed'

const ACCESS_MODES: Record<AccessMode, ProducerAccessMode> = {
  Shared: ProducerAccessMode.Shared,
  Exclusive: ProducerAccessMode.Exclusive,
  WaitForExclusive: ProducerAccessMode.WaitForExclusive,
  ExclusiveWithFencing: ProducerAccessMode.ExclusiveWithFencing,
}

export class PartitionProducer implements ConnectionListener {
  readonly topic: string
  readonly partition: number
  readonly id: bigint
  readonly #client: PulsarClient
  readonly #opts: PulsarProducerOptions
  readonly #compression: CompressionType
  #name: string | undefined
  #conn: PulsarConnection | undefined
  #state: State = 'connecting'
  #epoch = 0n
  #topicEpoch: bigint | undefined
  #nextSequence = 0n
  lastSequenceIdPublished = -1n
  readonly #pending: OpSend[] = []
  #batch: Queued[] = []
  #batchBytes = 0
  #batchTimer: ReturnType<typeof setTimeout> | undefined
  /** Set instead of #batchTimer when the batch was opened while the producer held nothing else. */
  #batchImmediate: ReturnType<typeof setImmediate> | undefined
  #pendingCount = 0
  readonly #slotWaiters: Array<() => void> = []
  #flushWaiters: Array<() => void> = []
  #timeoutTimer: ReturnType<typeof setInterval> | undefined
  #failure: Error | undefined
  #lostWhileConnecting = false
  /** Serialises compression + enqueue so ops hit the queue in sequence order. */
  #chain: Promise<void> = Promise.resolve()

  private constructor(client: PulsarClient, topic: string, partition: number, opts: PulsarProducerOptions) {
    this.#client = client
    this.topic = topic
    this.partition = partition
    this.#opts = opts
    this.id = client.newProducerId()
    this.#name = opts.producerName
    this.#compression = compressionType(opts.compression)
  }

  static async create(
    client: PulsarClient,
    topic: string,
    partition: number,
    opts: PulsarProducerOptions,
  ): Promise<PartitionProducer> {
    validate(opts)
    const p = new PartitionProducer(client, topic, partition, opts)
    // The first registration fails fast on non-retriable errors (fenced, unauthorized, …).
    await client.retry(`create producer on ${topic}`, () => p.#register(), { creating: true })
    if (opts.initialSequenceId !== undefined) p.#nextSequence = BigInt(opts.initialSequenceId)
    p.#state = 'ready'
    // Closed by the broker (unload) between PRODUCER_SUCCESS and here: follow the topic now.
    if (p.#lostWhileConnecting) {
      p.#lostWhileConnecting = false
      p.#reconnect(new ConnectionError(`broker closed producer on ${topic}`))
    }
    const timeout = opts.sendTimeoutMs ?? 30_000
    if (timeout > 0) {
      p.#timeoutTimer = setInterval(
        () => p.#checkTimeouts(timeout),
        Math.max(50, Math.min(1000, timeout / 4)),
      )
      p.#timeoutTimer.unref()
    }
    return p
  }

  get name(): string {
    return this.#name ?? ''
  }

  get pendingCount(): number {
    return this.#pendingCount
  }

  get connected(): boolean {
    return this.#state === 'ready'
  }

  get maxMessageSize(): number {
    return this.#conn?.maxMessageSize ?? 5 * 1024 * 1024
  }

  /** Queues a message; resolves with its id once the broker stored it. */
  send(message: PreparedMessage): Promise<MessageId> {
    // Not an async function: that would wrap the promise #enqueue returns in another one.
    const state = this.#state
    if (state === 'failed') return Promise.reject(this.#failure!)
    if (state === 'closed' || state === 'closing')
      return Promise.reject(new ClosedError(`producer on ${this.topic} is closed`))
    if (this.#pendingCount >= this.#maxPending()) {
      if (this.#opts.blockIfQueueFull === false)
        return Promise.reject(
          new BufferFullError(`producer on ${this.topic} has ${this.#pendingCount} messages pending`),
        )
      return this.#waitForSlot().then(() => {
        this.#assertOpen()
        return this.#enqueue(message)
      })
    }
    return this.#enqueue(message)
  }

  /** Queues a message unless the pending queue is full; never waits. */
  trySend(message: PreparedMessage): Promise<MessageId> | undefined {
    this.#assertOpen()
    if (this.#pendingCount >= this.#maxPending()) return undefined
    return this.#enqueue(message)
  }

  #enqueue(message: PreparedMessage): Promise<MessageId> {
    this.#pendingCount++
    const sequenceId = message.sequenceId ?? this.#nextSequence
    if (sequenceId >= this.#nextSequence) this.#nextSequence = sequenceId + 1n
    // The queued message is the waiter of its own promise: one object and one promise per send.
    const queued: Queued = { message, sequenceId, resolve: settleNothing, reject: settleNothing }
    const promise = new Promise<MessageId>((resolve, reject) => {
      queued.resolve = resolve
      queued.reject = reject
    })
    const batchable =
      this.#opts.batching !== false &&
      message.deliverAtTime === undefined &&
      message.value.length < this.maxMessageSize / 2
    if (!batchable) {
      this.#flushBatch()
      this.#schedule(() => this.#sendSingle(queued))
      return promise
    }
    const size = message.value.length + (message.partitionKey?.length ?? 0) + 32
    if (this.#batch.length > 0 && this.#batchBytes + size > (this.#opts.batchingMaxBytes ?? 128 * 1024))
      this.#flushBatch()
    this.#batch.push(queued)
    this.#batchBytes += size
    if (this.#batch.length >= (this.#opts.batchingMaxMessages ?? 1000)) this.#flushBatch()
    else if (this.#batchTimer === undefined && this.#batchImmediate === undefined) {
      // This message opened the batch. If the producer holds no other message (none queued, none
      // awaiting a receipt), no traffic is building up for the batch to gather: waiting out the
      // delay would only add it to this message's latency (an awaited send in a loop would take
      // batchingMaxDelayMs each). The batch then goes out when this turn of the event loop ends,
      // with every message sent during the turn. Otherwise it waits, as configured, for more.
      if (this.#pendingCount === 1) this.#batchImmediate = setImmediate(() => this.#flushBatch())
      else this.#batchTimer = setTimeout(() => this.#flushBatch(), this.#opts.batchingMaxDelayMs ?? 10)
    }
    return promise
  }

  /** Settles a message's promise with its id and frees its pending slot. */
  #resolve(w: Waiter, id: MessageId): void {
    this.#release()
    w.resolve(id)
  }

  /** Settles a message's promise with an error and frees its pending slot. */
  #reject(w: Waiter, err: Error): void {
    this.#release()
    w.reject(err)
  }

  /** Sends the open batch now. */
  #flushBatch(): void {
    this.#cancelBatchTimers()
    if (this.#batch.length === 0) return
    const items = this.#batch
    this.#batch = []
    this.#batchBytes = 0
    for (const group of this.#opts.batchingByKey ? groupByKey(items) : [items]) {
      if (group.length === 1) this.#schedule(() => this.#sendSingle(group[0]!))
      else this.#schedule(() => this.#sendBatch(group))
    }
  }

  #cancelBatchTimers(): void {
    clearTimeout(this.#batchTimer)
    clearImmediate(this.#batchImmediate)
    this.#batchTimer = undefined
    this.#batchImmediate = undefined
  }

  #schedule(task: () => Promise<void>): void {
    this.#chain = this.#chain.then(task).catch(() => undefined)
  }

  /** Resolves when every message sent so far has a receipt (or failed). */
  async flush(): Promise<void> {
    this.#flushBatch()
    await this.#chain
    if (this.#pending.length === 0) return
    await new Promise<void>((resolve) => this.#flushWaiters.push(resolve))
  }

  /** What building SEND operations needs to know about this producer right now. */
  #opContext(): OpContext {
    return {
      producerId: this.id,
      producerName: this.#name ?? '',
      compression: this.#compression,
      maxMessageSize: this.maxMessageSize,
      chunking: this.#opts.chunking === true,
    }
  }

  async #sendSingle(q: Queued): Promise<void> {
    let ops: OpSend[]
    try {
      ops = await buildSingle(this.#opContext(), q)
    } catch (err) {
      this.#reject(q, err as Error)
      return
    }
    for (const op of ops) this.#push(op)
  }

  async #sendBatch(items: Queued[]): Promise<void> {
    let op: OpSend
    try {
      op = await buildBatch(this.#opContext(), items)
    } catch (err) {
      for (const q of items) this.#reject(q, err as Error)
      return
    }
    this.#push(op)
  }

  #push(op: OpSend): void {
    if (this.#state === 'closed' || this.#state === 'failed') {
      const err = this.#failure ?? new ClosedError(`producer on ${this.topic} is closed`)
      for (const w of op.waiters) this.#reject(w, err)
      return
    }
    this.#pending.push(op)
    if (this.#state === 'ready' || this.#state === 'closing') this.#write(op)
  }

  #write(op: OpSend): void {
    const conn = this.#conn
    if (!conn || !conn.isUsable) return // re-sent after reconnect
    try {
      conn.sendPayload(op.command, op.metadata, op.payload)
    } catch {
      // The connection is going away; onConnectionClosed re-sends.
    }
  }

  // --- broker → producer -----------------------------------------------------------------------

  onCommand(frame: DecodedFrame): void {
    const cmd = frame.command
    switch (cmd.type) {
      case CommandType.SEND_RECEIPT: {
        const r = cmd.sendReceipt!
        const head = this.#pending[0]
        if (!head) return
        if (r.sequenceId < head.sequenceId) return // a duplicate receipt after a re-send
        if (r.sequenceId > head.sequenceId) {
          // Something between head and this receipt was lost: re-send everything.
          this.#conn?.destroy(
            new ConnectionError(`receipt for sequence ${r.sequenceId} while ${head.sequenceId} is pending`),
          )
          return
        }
        this.#pending.shift()
        const base = r.messageId
          ? MessageId.fromData(r.messageId, this.partition)
          : new MessageId(-1n, -1n, this.partition)
        if (head.chunk) {
          if (head.chunk.id === 0) {
            const next = this.#pending[0]
            if (next?.chunk && next.sequenceId === head.sequenceId) next.chunk.first = base
          } else if (
            head.chunk.id > 0 &&
            this.#pending[0]?.chunk &&
            this.#pending[0].sequenceId === head.sequenceId
          ) {
            this.#pending[0].chunk.first = head.chunk.first
          }
          if (head.chunk.id === head.chunk.count - 1) {
            const id = new MessageId(
              base.ledgerId,
              base.entryId,
              this.partition,
              -1,
              0,
              head.chunk.first ?? base,
            )
            this.lastSequenceIdPublished = head.highestSequenceId
            for (const w of head.waiters) this.#resolve(w, id)
          }
        } else {
          this.lastSequenceIdPublished = head.highestSequenceId
          const waiters = head.waiters
          if (head.numMessages === 1 && waiters.length === 1) this.#resolve(waiters[0]!, base)
          else {
            const { ledgerId, entryId } = base
            for (let i = 0; i < waiters.length; i++)
              this.#resolve(
                waiters[i]!,
                new MessageId(ledgerId, entryId, this.partition, i, head.numMessages),
              )
          }
        }
        this.#maybeFlushed()
        return
      }
      case CommandType.SEND_ERROR: {
        const e = cmd.sendError!
        const err = brokerError(e.error, e.message, `send to ${this.topic}`)
        // A checksum error means the bytes were damaged on the way (we computed the CRC over what
        // we meant to send): re-send everything pending over a new connection, as does any
        // retriable error. Deduplication keeps the re-sent messages from being stored twice.
        if (err.retriable || e.error === ServerError.ChecksumError) {
          this.#conn?.destroy(err)
          return
        }
        this.#fail(err)
        return
      }
      case CommandType.CLOSE_PRODUCER:
      case CommandType.TOPIC_MIGRATED:
        // The topic is being unloaded or moved: look it up again and re-register.
        this.#conn?.unregisterProducer(this.id, this)
        this.#reconnect(new ConnectionError(`broker closed producer on ${this.topic}`))
        return
    }
  }

  onConnectionClosed(err: Error): void {
    this.#reconnect(err)
  }

  #reconnect(err: Error): void {
    if (this.#state === 'connecting' || this.#state === 'reconnecting') {
      // A registration is in flight: its answer and a CLOSE_PRODUCER (unload) can arrive in one
      // read, before the awaiting code runs. The registration then counts as lost and is redone
      // as soon as it completes (end of create(), or below).
      this.#lostWhileConnecting = true
      this.#conn = undefined
      return
    }
    if (this.#state !== 'ready' && this.#state !== 'closing') return
    const wasClosing = this.#state === 'closing'
    this.#state = 'reconnecting'
    this.#conn = undefined
    this.#client
      .retry(`reconnect producer on ${this.topic}`, () => this.#register(), {
        isDone: () => this.#state === 'closed',
      })
      .then(
        () => {
          if (this.#state !== 'reconnecting') return
          this.#state = wasClosing ? 'closing' : 'ready'
          if (this.#lostWhileConnecting) {
            this.#reconnect(err)
            return
          }
          for (const op of this.#pending) this.#write(op)
        },
        (e: unknown) => this.#fail(e instanceof Error ? e : new ConnectionError(String(e), { cause: err })),
      )
  }

  async #register(): Promise<void> {
    this.#lostWhileConnecting = false
    const conn = await this.#client.connectionFor(this.topic)
    const requestId = conn.newRequestId()
    const accessMode = ACCESS_MODES[this.#opts.accessMode ?? 'Shared']
    conn.registerProducer(this.id, this)
    let response
    try {
      response = await conn.sendRequest(
        requestId,
        {
          type: CommandType.PRODUCER,
          producer: {
            topic: this.topic,
            producerId: this.id,
            requestId,
            ...(this.#name !== undefined
              ? { producerName: this.#name, userProvidedProducerName: this.#opts.producerName !== undefined }
              : {}),
            epoch: this.#epoch,
            producerAccessMode: accessMode,
            ...(this.#topicEpoch !== undefined ? { topicEpoch: this.#topicEpoch } : {}),
            metadata: Object.entries(this.#opts.properties ?? {}).map(([key, value]) => ({ key, value })),
          },
        },
        // Waiting for exclusive access has no deadline: the broker answers when it grants it.
        this.#opts.accessMode === 'WaitForExclusive' ? { timeoutMs: 0 } : {},
      )
    } catch (err) {
      conn.unregisterProducer(this.id, this)
      this.#epoch++
      throw err
    }
    const s = response.producerSuccess!
    this.#name = s.producerName
    if (s.topicEpoch !== undefined && s.topicEpoch !== 0n) this.#topicEpoch = s.topicEpoch
    if (s.lastSequenceId >= 0n && s.lastSequenceId >= this.#nextSequence && this.#pending.length === 0) {
      this.#nextSequence = s.lastSequenceId + 1n
      this.lastSequenceIdPublished = s.lastSequenceId
    }
    this.#epoch++
    this.#conn = conn
  }

  #checkTimeouts(timeoutMs: number): void {
    const head = this.#pending[0]
    if (!head || Date.now() - head.createdAt < timeoutMs) return
    if (this.#state === 'closed' || this.#state === 'failed') return
    // As in the Java client: everything pending fails, since later messages would wait behind it.
    const err = new TimeoutError(`message to ${this.topic} was not acknowledged within ${timeoutMs} ms`)
    const ops = this.#pending.splice(0)
    for (const op of ops) for (const w of op.waiters) this.#reject(w, err)
    this.#maybeFlushed()
  }

  #fail(err: Error): void {
    if (this.#state === 'closed' || this.#state === 'failed') return
    this.#state = 'failed'
    this.#failure = err
    this.#teardown(err)
  }

  #teardown(err: Error): number {
    if (this.#timeoutTimer) clearInterval(this.#timeoutTimer)
    this.#cancelBatchTimers()
    let dropped = 0
    for (const q of this.#batch.splice(0)) {
      dropped++
      this.#reject(q, err)
    }
    for (const op of this.#pending.splice(0)) {
      dropped += op.waiters.length
      for (const w of op.waiters) this.#reject(w, err)
    }
    for (const w of this.#slotWaiters.splice(0)) w()
    this.#maybeFlushed()
    return dropped
  }

  /** Closes the producer: drains pending messages first unless `drop`; returns how many were dropped. */
  async close(opts: { drop?: boolean } = {}): Promise<number> {
    if (this.#state === 'closed') return 0
    let dropped = 0
    if (this.#state === 'failed') {
      this.#state = 'closed'
      return 0
    }
    if (opts.drop) {
      this.#state = 'closing'
      dropped = this.#teardown(new ClosedError(`producer on ${this.topic} was closed`))
    } else {
      if (this.#state === 'ready') this.#state = 'closing'
      await this.flush()
    }
    const conn = this.#conn
    this.#state = 'closed'
    this.#teardown(new ClosedError(`producer on ${this.topic} was closed`))
    if (conn?.isUsable) {
      const requestId = conn.newRequestId()
      await conn
        .sendRequest(
          requestId,
          { type: CommandType.CLOSE_PRODUCER, closeProducer: { producerId: this.id, requestId } },
          { timeoutMs: 5000 },
        )
        .catch(() => undefined)
      conn.unregisterProducer(this.id, this)
    }
    return dropped
  }

  #maybeFlushed(): void {
    if (this.#pending.length === 0 && this.#batch.length === 0)
      for (const w of this.#flushWaiters.splice(0)) w()
  }

  #maxPending(): number {
    return this.#opts.maxPendingMessages ?? 1000
  }

  #release(): void {
    this.#pendingCount--
    this.#slotWaiters.shift()?.()
  }

  #waitForSlot(): Promise<void> {
    return new Promise((resolve) => this.#slotWaiters.push(resolve))
  }

  #assertOpen(): void {
    if (this.#state === 'failed') throw this.#failure!
    if (this.#state === 'closed' || this.#state === 'closing')
      throw new ClosedError(`producer on ${this.topic} is closed`)
  }
}

function settleNothing(): void {}

function validate(opts: PulsarProducerOptions): void {
  const positive = ['batchingMaxMessages', 'batchingMaxBytes', 'maxPendingMessages'] as const
  for (const k of positive) {
    const v = opts[k]
    if (v !== undefined && (!Number.isInteger(v) || v <= 0))
      throw new ConfigError(`${k} must be a positive integer`)
  }
  for (const k of ['batchingMaxDelayMs', 'sendTimeoutMs'] as const) {
    const v = opts[k]
    if (v !== undefined && (typeof v !== 'number' || v < 0)) throw new ConfigError(`${k} must be >= 0`)
  }
  if (opts.accessMode !== undefined && !(opts.accessMode in ACCESS_MODES))
    throw new ConfigError(`unknown accessMode "${String(opts.accessMode)}"`)
}

/**
 * Key-based batching: one batch per key (Key_Shared dispatches a whole batch by its key, so a
 * batch must hold one key), all of them filled at once and closed together by the shared limits,
 * instead of closing the batch whenever the key changes. Batches go out in the order of their
 * first message, so sequence ids of first messages still rise from one SEND to the next.
 */
function groupByKey(items: Queued[]): Queued[][] {
  const groups = new Map<string, Queued[]>()
  for (const q of items) {
    const key = batchKey(q.message)
    const group = groups.get(key)
    if (group) group.push(q)
    else groups.set(key, [q])
  }
  return [...groups.values()]
}
