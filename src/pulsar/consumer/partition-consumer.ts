// A consumer on one topic partition (or non-partitioned topic). It subscribes, grants the broker
// FLOW permits for its receiver queue, and hands decoded messages to its owner (the multi-topic
// consumer that the application sees). Permits are re-granted as the owner takes messages, so a
// slow application stops the broker from sending (backpressure end to end).
//
// Reconnect: when the connection dies or the broker closes the consumer (unload, seek, failover),
// it looks the topic up again and re-subscribes with the same consumer id. Messages still in the
// local queue are dropped (the broker redelivers everything unacknowledged, including what was
// handed out and not acknowledged), FLOW permits are granted afresh, and acks of ids received
// before the reconnect stay valid. Durable subscriptions resume at the broker's cursor, non-durable
// ones (readers) just after the last message handed out.

import { clone } from '@bufbuild/protobuf'
import { ClosedError, ConnectionError, ConfigError, ProtocolError } from '../../core/errors.ts'
import type { PulsarClient } from '../client.ts'
import { DEFAULT_MAX_FRAME_BYTES } from '../connection.ts'
import type { ConnectionListener, PulsarConnection } from '../connection.ts'
import { CommandType } from '../protocol/commands.ts'
import type { DecodedFrame } from '../protocol/frame.ts'
import {
  CommandAck_AckType,
  CommandAck_ValidationError,
  CommandSubscribe_InitialPosition,
  CommandSubscribe_SubType,
  KeySharedMode,
  MessageMetadataSchema,
} from '../protocol/generated/pulsar-api_pb.ts'
import { MessageId } from '../protocol/message-id.ts'
import { AckTracker } from './acks.ts'
import { ChunkAssembler, chunkDropped } from './chunks.ts'
import type { ChunkDrop, ChunkingOptions } from './chunks.ts'
import { EncryptedMessageError, encryptedMessage } from './crypto.ts'
import type { CryptoFailureAction } from './crypto.ts'
import { decodeMessages } from './incoming.ts'
import { PulsarMessage } from './message.ts'

export type SubscriptionType = 'Exclusive' | 'Shared' | 'Failover' | 'Key_Shared'

export const SUB_TYPES: Record<SubscriptionType, CommandSubscribe_SubType> = {
  Exclusive: CommandSubscribe_SubType.Exclusive,
  Shared: CommandSubscribe_SubType.Shared,
  Failover: CommandSubscribe_SubType.Failover,
  Key_Shared: CommandSubscribe_SubType.Key_Shared,
}

export interface PartitionConsumerOptions extends ChunkingOptions {
  /** What to do with encrypted messages (crypto.ts). Default 'fail'. */
  cryptoFailureAction?: CryptoFailureAction
  subscription: string
  subscriptionType: SubscriptionType
  initialPosition: 'earliest' | 'latest'
  receiverQueueSize: number
  consumerName?: string
  priorityLevel?: number
  durable: boolean
  /** Non-durable (reader) start position. */
  startMessageId?: MessageId
  startInclusive?: boolean
  readCompacted?: boolean
  batchIndexAck: boolean
  ackReceipt: boolean
  /** Seconds to roll a new subscription back (reader by time). */
  startRollbackSeconds?: number
  properties?: Record<string, string>
}

export interface PartitionConsumerOwner {
  /** Messages decoded from one MESSAGE frame, in order. */
  deliver(from: PartitionConsumer, messages: PulsarMessage[]): void
  /** Failover: this consumer became (in)active for its partition. */
  activeChanged?(from: PartitionConsumer, active: boolean): void
  endOfTopic?(from: PartitionConsumer): void
  failed(from: PartitionConsumer, err: Error): void
  /** An encrypted message not handed out (cryptoFailureAction 'fail'): report it, track it for redelivery. */
  undecryptable?(from: PartitionConsumer, message: PulsarMessage, error: Error): void
  /** Chunks of a dropped incomplete message, left unacknowledged: track them for redelivery. */
  unackedChunks?(from: PartitionConsumer, ids: MessageId[]): void
}

type State = 'connecting' | 'ready' | 'reconnecting' | 'closed'

export class PartitionConsumer implements ConnectionListener {
  readonly topic: string
  readonly partition: number
  readonly id: bigint
  readonly #client: PulsarClient
  readonly #opts: PartitionConsumerOptions
  readonly #owner: PartitionConsumerOwner
  readonly acks: AckTracker
  readonly #chunks: ChunkAssembler
  #conn: PulsarConnection | undefined
  #state: State = 'connecting'
  /** Messages handed to the owner since the last FLOW. */
  #consumedSinceFlow = 0
  /** Bumped on redeliver-all (Exclusive/Failover); older messages are dropped. */
  #epoch = 0n
  #lastDelivered: MessageId | undefined
  #startAfter: MessageId | undefined
  #startInclusive: boolean
  #generation = 0
  #lostWhileConnecting = false
  #deliveryTail: Promise<void> = Promise.resolve()
  active = true

  private constructor(
    client: PulsarClient,
    topic: string,
    partition: number,
    opts: PartitionConsumerOptions,
    owner: PartitionConsumerOwner,
  ) {
    this.#client = client
    this.topic = topic
    this.partition = partition
    this.#opts = opts
    this.#owner = owner
    this.id = client.newConsumerId()
    this.#startAfter = opts.startMessageId
    this.#startInclusive = opts.startInclusive ?? false
    this.acks = new AckTracker({
      consumerId: this.id,
      batchIndexAck: opts.batchIndexAck,
      ackReceipt: opts.ackReceipt,
      connection: () => this.#conn,
      closed: () => this.#state === 'closed',
    })
    this.#chunks = new ChunkAssembler(opts, (drop) => this.#onChunksDropped(drop))
  }

  /** An incomplete chunked message was dropped: acknowledge or leave it, and say so. */
  #onChunksDropped(drop: ChunkDrop): void {
    if (chunkDropped.hasSubscribers) {
      chunkDropped.publish({
        driver: 'pulsar',
        topic: this.topic,
        partition: this.partition,
        subscription: this.#opts.subscription,
        ...drop,
      })
    }
    if (drop.acknowledge) {
      // Best effort, and the drop itself was published above: if the connection is gone the broker
      // redelivers these chunks, and they are dropped (and reported) again.
      for (const id of drop.ids) this.acks.ack(id).catch(() => undefined)
    } else this.#owner.unackedChunks?.(this, drop.ids)
  }

  static async create(
    client: PulsarClient,
    topic: string,
    partition: number,
    opts: PartitionConsumerOptions,
    owner: PartitionConsumerOwner,
  ): Promise<PartitionConsumer> {
    if (!(opts.subscriptionType in SUB_TYPES))
      throw new ConfigError(`unknown subscription type "${opts.subscriptionType}"`)
    const c = new PartitionConsumer(client, topic, partition, opts, owner)
    await client.retry(`subscribe to ${topic}`, () => c.#subscribe(), {
      isDone: () => c.#state === 'closed',
      creating: true,
    })
    c.#state = 'ready'
    // Closed by the broker (unload) between SUCCESS and here: follow the topic now.
    if (c.#lostWhileConnecting) {
      c.#lostWhileConnecting = false
      c.#reconnect()
    }
    return c
  }

  get connected(): boolean {
    return this.#state === 'ready'
  }

  get subscriptionType(): SubscriptionType {
    return this.#opts.subscriptionType
  }

  async #subscribe(): Promise<void> {
    this.#lostWhileConnecting = false
    const conn = await this.#client.connectionFor(this.topic)
    const requestId = conn.newRequestId()
    const o = this.#opts
    // A non-durable subscription resumes right after what was already handed out.
    const start = o.durable ? undefined : (this.#lastDelivered ?? this.#startAfter)
    conn.registerConsumer(this.id, this)
    try {
      await conn.sendRequest(requestId, {
        type: CommandType.SUBSCRIBE,
        subscribe: {
          topic: this.topic,
          subscription: o.subscription,
          subType: SUB_TYPES[o.subscriptionType],
          consumerId: this.id,
          requestId,
          ...(o.consumerName ? { consumerName: o.consumerName } : {}),
          ...(o.priorityLevel !== undefined ? { priorityLevel: o.priorityLevel } : {}),
          durable: o.durable,
          ...(start ? { startMessageId: start.toData() } : {}),
          readCompacted: o.readCompacted ?? false,
          initialPosition:
            o.initialPosition === 'earliest'
              ? CommandSubscribe_InitialPosition.Earliest
              : CommandSubscribe_InitialPosition.Latest,
          ...(o.startRollbackSeconds
            ? { startMessageRollbackDurationSec: BigInt(o.startRollbackSeconds) }
            : {}),
          ...(o.subscriptionType === 'Key_Shared'
            ? { keySharedMeta: { keySharedMode: KeySharedMode.AUTO_SPLIT } }
            : {}),
          metadata: Object.entries(o.properties ?? {}).map(([key, value]) => ({ key, value })),
          consumerEpoch: this.#epoch,
        },
      })
    } catch (err) {
      conn.unregisterConsumer(this.id, this)
      throw err
    }
    // Only a non-durable subscription restarts after what was handed out. A durable one restarts
    // at the broker's cursor, and whatever was handed out but not acknowledged comes again: it
    // must not be filtered out here (the entry of the last handed-out message included).
    if (!o.durable && this.#lastDelivered) {
      this.#startAfter = this.#lastDelivered
      this.#startInclusive = false
    }
    this.#conn = conn
    this.#generation++
    // Partial batch acks are kept: ids received before the reconnect are still valid, and an
    // index acknowledged then must still count when the rest of its batch is acknowledged later.
    this.#chunks.clear()
    this.#consumedSinceFlow = 0
    conn.sendCommand({
      type: CommandType.FLOW,
      flow: { consumerId: this.id, messagePermits: o.receiverQueueSize },
    })
  }

  /** The owner took `n` messages out of its queue: re-grant permits in chunks of half the queue. */
  consumed(n: number): void {
    this.#consumedSinceFlow += n
    const threshold = Math.max(1, Math.floor(this.#opts.receiverQueueSize / 2))
    if (this.#consumedSinceFlow >= threshold && this.#conn?.isUsable && this.#state === 'ready') {
      const permits = this.#consumedSinceFlow
      this.#consumedSinceFlow = 0
      this.#conn.sendCommand({
        type: CommandType.FLOW,
        flow: { consumerId: this.id, messagePermits: permits },
      })
    }
  }

  /** Generation changes on every (re)subscribe; the owner drops queued messages of older ones. */
  get generation(): number {
    return this.#generation
  }

  markDelivered(id: MessageId): void {
    this.#lastDelivered = id
  }

  onCommand(frame: DecodedFrame): void {
    const cmd = frame.command
    switch (cmd.type) {
      case CommandType.MESSAGE:
        this.#onMessage(frame)
        return
      case CommandType.ACTIVE_CONSUMER_CHANGE:
        this.active = cmd.activeConsumerChange!.isActive
        this.#owner.activeChanged?.(this, this.active)
        return
      case CommandType.REACHED_END_OF_TOPIC:
        this.#owner.endOfTopic?.(this)
        return
      case CommandType.CLOSE_CONSUMER:
      case CommandType.TOPIC_MIGRATED:
        this.#conn?.unregisterConsumer(this.id, this)
        this.#reconnect()
        return
    }
  }

  #onMessage(frame: DecodedFrame): void {
    const conn = this.#conn
    const m = frame.command.message!
    if (frame.checksumMismatch) {
      // Corrupted in transit: ask for it again instead of handing out or acking bad bytes.
      conn?.sendCommand({
        type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
        redeliverUnacknowledgedMessages: { consumerId: this.id, messageIds: [m.messageId!] },
      })
      return
    }
    if (m.consumerEpoch !== undefined && m.consumerEpoch !== 0n && m.consumerEpoch < this.#epoch) return
    const generation = this.#generation
    const md = frame.metadata!
    const ctx = {
      topic: this.topic,
      partition: this.partition,
      maxMessageSize: Math.max(conn?.maxMessageSize ?? 5 * 1024 * 1024, 5 * 1024 * 1024),
      maxDecompressedBytes: conn?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      ...(this.#startAfter ? { startAfter: this.#startAfter, startInclusive: this.#startInclusive } : {}),
    }
    if (md.numChunksFromMsg > 1) {
      this.#onChunk(frame, ctx.maxMessageSize * 64)
      return
    }
    this.#inOrder(decodeMessages(frame, ctx)).then(
      (messages) => {
        if (generation !== this.#generation || this.#state === 'closed') return
        // Permits count messages, not entries: those of the entry skipped here (before a start
        // position, compacted out, already acknowledged) come back, or the subscription stalls
        // once they add up to the receiver queue. (The broker may not have counted acknowledged
        // batch indexes; a permit too many only lets one more message be prefetched.)
        const skipped = Math.max(1, md.numMessagesInBatch) - messages.length
        if (skipped > 0) this.consumed(skipped)
        const handOut = this.#screenEncrypted(messages)
        if (handOut.length > 0) this.#owner.deliver(this, handOut)
      },
      (err: unknown) => this.#onBadMessage(frame, err),
    )
  }

  /**
   * Decoding is asynchronous (decompression runs on the thread pool), so a small frame can finish
   * before a large one that arrived earlier. Each frame starts decoding at once, but its result is
   * handed on only after every earlier frame's: delivery keeps the broker's order.
   */
  #inOrder<T>(decoding: Promise<T>): Promise<T> {
    const turn = this.#deliveryTail.then(() => decoding)
    this.#deliveryTail = turn.then(
      () => undefined,
      () => undefined,
    )
    return turn
  }

  #onChunk(frame: DecodedFrame, maxTotal: number): void {
    const m = frame.command.message!
    const md = frame.metadata!
    const id = MessageId.fromData(m.messageId!, this.partition)
    let whole
    try {
      whole = this.#chunks.add(md, id, frame.payload!, maxTotal)
    } catch (err) {
      this.#onBadMessage(frame, err)
      return
    }
    if (!whole) {
      this.consumed(1)
      return
    }
    const generation = this.#generation
    // The whole message decodes like an unchunked one with the first chunk's metadata.
    const metadata = clone(MessageMetadataSchema, whole.md)
    metadata.numChunksFromMsg = 1
    metadata.chunkId = 0
    const merged: DecodedFrame = { ...frame, metadata, payload: whole.payload }
    this.#inOrder(
      decodeMessages(merged, {
        topic: this.topic,
        partition: this.partition,
        maxMessageSize: maxTotal,
        maxDecompressedBytes: this.#conn?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      }),
    ).then(
      (messages) => {
        if (generation !== this.#generation || this.#state === 'closed') return
        const first = whole.ids[0]!
        const last = whole.ids[whole.ids.length - 1]!
        const id2 = new MessageId(last.ledgerId, last.entryId, this.partition, -1, 0, first)
        const withIds = messages.map(
          (msg) =>
            new PulsarMessage({
              ...msg,
              messageId: id2,
              chunkIds: whole.ids,
              partitionKey: msg.partitionKey,
              orderingKey: msg.orderingKey,
            }),
        )
        // Every chunk but the last was already re-permitted; the last permit returns with consumed().
        const handOut = this.#screenEncrypted(withIds)
        if (handOut.length > 0) this.#owner.deliver(this, handOut)
      },
      (err: unknown) => this.#onBadMessage(frame, err),
    )
  }

  /**
   * Applies cryptoFailureAction (crypto.ts) to an encrypted message; returns what may be handed
   * out. An encrypted entry always decodes to a single message, so the check is one comparison.
   */
  #screenEncrypted(messages: PulsarMessage[]): PulsarMessage[] {
    const msg = messages.length === 1 ? messages[0]! : undefined
    if (!msg?.encrypted) return messages
    const action = this.#opts.cryptoFailureAction ?? 'fail'
    const keyNames = Object.keys(msg.encryptionContext!.keys)
    if (encryptedMessage.hasSubscribers) {
      encryptedMessage.publish({
        driver: 'pulsar',
        topic: this.topic,
        partition: this.partition,
        subscription: this.#opts.subscription,
        messageId: msg.messageId,
        keyNames,
        action,
      })
    }
    if (action === 'consume') return messages
    // Not handed out: its permit comes back now.
    this.consumed(1)
    if (action === 'discard') {
      try {
        this.#conn?.sendCommand({
          type: CommandType.ACK,
          ack: {
            consumerId: this.id,
            ackType: CommandAck_AckType.Individual,
            messageId: (msg.chunkIds ?? [msg.messageId]).map((id) =>
              new MessageId(id.ledgerId, id.entryId, id.partition).toData(),
            ),
            validationError: CommandAck_ValidationError.DecryptionError,
          },
        })
      } catch {
        // connection gone: the broker redelivers it and it is discarded again
      }
    } else {
      this.#owner.undecryptable?.(this, msg, new EncryptedMessageError(this.topic, msg.messageId, keyNames))
    }
    return []
  }

  #onBadMessage(frame: DecodedFrame, err: unknown): void {
    // A message we cannot decode (bad compression, bad batch) would block the subscription if
    // never acknowledged and loop forever if redelivered; the Java client acknowledges it with a
    // validation error so the broker logs it. We report it to the owner too.
    const m = frame.command.message!
    try {
      this.#conn?.sendCommand({
        type: CommandType.ACK,
        ack: { consumerId: this.id, ackType: 0, messageId: [m.messageId!], validationError: 3 },
      })
    } catch {
      // connection gone: the broker redelivers and we decide again
    }
    this.consumed(1)
    this.#owner.failed(this, err instanceof Error ? err : new ProtocolError(String(err)))
  }

  /**
   * Asks the broker to redeliver. Shared/Key_Shared: just these ids. Exclusive/Failover: the
   * broker redelivers everything unacknowledged, so the local queue is reset (new epoch).
   */
  redeliver(ids: MessageId[]): void {
    const conn = this.#conn
    if (!conn?.isUsable) return // after the reconnect the broker redelivers them anyway
    this.acks.flush() // what was acknowledged before must not come back
    const shared = this.#opts.subscriptionType === 'Shared' || this.#opts.subscriptionType === 'Key_Shared'
    if (shared) {
      if (ids.length === 0) return
      const byEntry = new Map<string, MessageId>()
      for (const id of ids) for (const c of id.firstChunk ? [id] : [id]) byEntry.set(c.entryKey(), c)
      conn.sendCommand({
        type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
        redeliverUnacknowledgedMessages: {
          consumerId: this.id,
          messageIds: [...byEntry.values()].map((id) =>
            new MessageId(id.ledgerId, id.entryId, id.partition).toData(),
          ),
        },
      })
    } else {
      this.#epoch++
      this.#generation++
      this.acks.reset()
      conn.sendCommand({
        type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
        redeliverUnacknowledgedMessages: { consumerId: this.id, consumerEpoch: this.#epoch },
      })
      this.#owner.deliver(this, []) // lets the owner drop queued messages of the old generation
      conn.sendCommand({
        type: CommandType.FLOW,
        flow: { consumerId: this.id, messagePermits: this.#opts.receiverQueueSize },
      })
      this.#consumedSinceFlow = 0
    }
  }

  onConnectionClosed(): void {
    this.#reconnect()
  }

  #reconnect(): void {
    if (this.#state === 'connecting' || this.#state === 'reconnecting') {
      // A SUBSCRIBE is in flight: its answer and a CLOSE_CONSUMER (unload) can arrive in one
      // read, before the awaiting code runs. The subscription then counts as lost and is redone
      // as soon as it completes (end of create(), or below).
      this.#lostWhileConnecting = true
      this.#conn = undefined
      return
    }
    if (this.#state !== 'ready') return
    this.#state = 'reconnecting'
    this.#conn = undefined
    this.#generation++
    this.#owner.deliver(this, [])
    this.#client
      .retry(`resubscribe to ${this.topic}`, () => this.#subscribe(), {
        isDone: () => this.#state === 'closed',
      })
      .then(
        () => {
          if (this.#state !== 'reconnecting') return
          this.#state = 'ready'
          if (this.#lostWhileConnecting) {
            this.#lostWhileConnecting = false
            this.#reconnect()
          }
        },
        (err: unknown) => {
          if (this.#state === 'closed') return
          this.#state = 'closed'
          this.#chunks.clear()
          this.#owner.failed(this, err instanceof Error ? err : new ConnectionError(String(err)))
        },
      )
  }

  /** Moves the subscription to a message id or a publish time (ms). The broker then reconnects us. */
  async seek(target: MessageId | number): Promise<void> {
    const conn = this.#conn
    if (!conn?.isUsable) throw new ConnectionError(`consumer on ${this.topic} is not connected`)
    this.acks.flush() // acks given before the seek apply to the old position
    const requestId = conn.newRequestId()
    this.#lastDelivered = undefined
    // What is queued or arriving now is from before the seek: a new generation drops it. This
    // happens before the request, not after its answer: the broker closes the consumer while it
    // resets the cursor, and the re-subscription can complete and deliver the replayed messages
    // before SUCCESS for the SEEK arrives — dropping those would lose them (and their permits).
    // Anything of the old position still in flight is dropped by the re-subscription's own
    // generation.
    this.#generation++
    this.#owner.deliver(this, [])
    if (target instanceof MessageId) {
      this.#startAfter = target
      this.#startInclusive = true
    } else this.#startAfter = undefined
    await conn.sendRequest(requestId, {
      type: CommandType.SEEK,
      seek: {
        consumerId: this.id,
        requestId,
        ...(target instanceof MessageId
          ? {
              messageId: new MessageId(
                target.ledgerId,
                target.entryId,
                target.partition,
                target.batchIndex,
              ).toData(),
            }
          : { messagePublishTime: BigInt(target) }),
      },
    })
  }

  async getLastMessageId(): Promise<{ last: MessageId; markDelete: MessageId | undefined }> {
    const conn = this.#conn
    if (!conn?.isUsable) throw new ConnectionError(`consumer on ${this.topic} is not connected`)
    this.acks.flush() // the mark-delete position in the answer includes every ack given so far
    const requestId = conn.newRequestId()
    const r = await conn.sendRequest(requestId, {
      type: CommandType.GET_LAST_MESSAGE_ID,
      getLastMessageId: { consumerId: this.id, requestId },
    })
    const res = r.getLastMessageIdResponse!
    return {
      last: MessageId.fromData(res.lastMessageId!, this.partition),
      markDelete: res.consumerMarkDeletePosition
        ? MessageId.fromData(res.consumerMarkDeletePosition, this.partition)
        : undefined,
    }
  }

  get lastDelivered(): MessageId | undefined {
    return this.#lastDelivered
  }

  async unsubscribe(): Promise<void> {
    const conn = this.#conn
    if (!conn?.isUsable) throw new ConnectionError(`consumer on ${this.topic} is not connected`)
    this.acks.flush()
    const requestId = conn.newRequestId()
    await conn.sendRequest(requestId, {
      type: CommandType.UNSUBSCRIBE,
      unsubscribe: { consumerId: this.id, requestId },
    })
    this.#state = 'closed'
    this.#chunks.clear()
    conn.unregisterConsumer(this.id, this)
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return
    // Acks still grouped go out before CLOSE_CONSUMER (the connection is still this consumer's).
    if (this.#conn?.isUsable) this.acks.flush()
    this.#state = 'closed'
    this.#chunks.clear()
    this.#generation++
    const conn = this.#conn
    this.#conn = undefined
    if (conn?.isUsable) {
      const requestId = conn.newRequestId()
      await conn
        .sendRequest(
          requestId,
          { type: CommandType.CLOSE_CONSUMER, closeConsumer: { consumerId: this.id, requestId } },
          { timeoutMs: 5000 },
        )
        .catch(() => undefined)
    }
    conn?.unregisterConsumer(this.id, this)
  }

  assertOpen(): void {
    if (this.#state === 'closed') throw new ClosedError(`consumer on ${this.topic} is closed`)
  }
}
