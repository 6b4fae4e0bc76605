// The ack tracker of one partition consumer. Acks are grouped until the event loop turns (a
// setImmediate, not a microtask: an application awaiting receive() per message from a full local
// queue runs entirely in microtasks, so a microtask flush sent one ACK command — and one socket
// write — per message) or until MAX_GROUP ids wait, and then sent as one ACK command. Unlike the
// Java client's 100 ms grouping window this adds no timer delay, so acknowledge() still resolves
// as soon as its ACK is written. The owner calls flush() before anything the broker must see after
// the acks (close, seek, redeliver, unsubscribe, a last-message-id query). A message of a batch is acknowledged to the broker only when every message of its
// batch is (unless batch-index acks are on, then partial acks carry the ack_set of what is still
// unacknowledged), because an entry-level ack would also drop the batch's unread messages.
// Cumulative acks on a batch message that is not the batch's last ack up to the previous entry.
// With ack receipts each ACK carries a request id and resolves on the broker's ACK_RESPONSE.

import { ClosedError, ConnectionError } from '../../core/errors.ts'
import type { PulsarConnection } from '../connection.ts'
import { CommandType } from '../protocol/commands.ts'
import { CommandAck_AckType, MessageIdDataSchema } from '../protocol/generated/pulsar-api_pb.ts'
import type { MessageIdData } from '../protocol/generated/pulsar-api_pb.ts'
import { MessageId } from '../protocol/message-id.ts'
import { create } from '@bufbuild/protobuf'

export interface AckTrackerOptions {
  consumerId: bigint
  batchIndexAck: boolean
  ackReceipt: boolean
  connection: () => PulsarConnection | undefined
  /** True once the consumer is closed: its acks then fail with ClosedError, not ConnectionError. */
  closed?: () => boolean
}

/** What ack() returns when nothing is to be sent yet (most messages of a batch): one for all. */
const DONE = Promise.resolve()

/** Most ids in one ACK command, like the Java client's default maxAcknowledgmentGroupSize. */
const MAX_GROUP = 1000

/** java.util.BitSet words with bits set for indexes still unacknowledged. */
function ackSetOf(size: number, acked: Set<number>): bigint[] {
  const words: bigint[] = []
  for (let i = 0; i < size; i++) {
    const w = i >> 6
    while (words.length <= w) words.push(0n)
    if (!acked.has(i)) words[w] = words[w]! | (1n << BigInt(i & 63))
  }
  return words.map((w) => BigInt.asIntN(64, w))
}

/** The entry of `id` (no batch index) as MessageIdData, for an ACK. */
function plainIdData(id: MessageId): MessageIdData {
  return create(MessageIdDataSchema, {
    ledgerId: BigInt.asUintN(64, id.ledgerId),
    entryId: BigInt.asUintN(64, id.entryId),
  })
}

export class AckTracker {
  readonly #opts: AckTrackerOptions
  /** Per batched entry: indexes acknowledged so far. */
  readonly #batchAcks = new Map<string, Set<number>>()
  /**
   * The entry the last batch ack was for: messages are mostly acknowledged in order, so the next
   * ack is nearly always for the same entry, found without building its map key.
   */
  #lastEntry: { id: MessageId; acked: Set<number> } | undefined
  #queued: MessageIdData[] = []
  /** One promise for every ack of the pending group (settled when their ACK is sent). */
  #group: { done: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined
  #immediate: ReturnType<typeof setImmediate> | undefined

  constructor(opts: AckTrackerOptions) {
    this.#opts = opts
  }

  /** Acknowledges one message; resolves when sent (or confirmed, with ack receipts). */
  ack(id: MessageId): Promise<void> {
    const data = this.#entryAck(id)
    if (!data) return DONE
    return this.#enqueue(data)
  }

  ackCumulative(id: MessageId): Promise<void> {
    this.flush() // individual acks given before it go first
    let target = id
    if (id.batchIndex >= 0 && id.batchSize > 0 && id.batchIndex < id.batchSize - 1) {
      // Not the last of its batch: the broker cannot ack part of an entry cumulatively.
      if (id.entryId === 0n) return Promise.resolve()
      target = new MessageId(id.ledgerId, id.entryId - 1n, id.partition)
    }
    const data = create(MessageIdDataSchema, {
      ledgerId: BigInt.asUintN(64, target.ledgerId),
      entryId: BigInt.asUintN(64, target.entryId),
    })
    return this.#send(CommandAck_AckType.Cumulative, [data])
  }

  #entryAck(id: MessageId): MessageIdData | undefined {
    if (id.batchIndex < 0 || id.batchSize <= 1) return plainIdData(id)
    const last = this.#lastEntry
    let acked: Set<number>
    if (last !== undefined && last.id.sameEntry(id)) acked = last.acked
    else {
      const key = id.entryKey()
      let found = this.#batchAcks.get(key)
      if (!found) {
        found = new Set()
        this.#batchAcks.set(key, found)
      }
      acked = found
      this.#lastEntry = { id, acked }
    }
    acked.add(id.batchIndex)
    if (acked.size >= id.batchSize) {
      this.#batchAcks.delete(id.entryKey())
      this.#lastEntry = undefined
      return plainIdData(id)
    }
    if (!this.#opts.batchIndexAck) return undefined
    const d = plainIdData(id)
    d.ackSet = ackSetOf(id.batchSize, acked)
    return d
  }

  #enqueue(data: MessageIdData): Promise<void> {
    this.#queued.push(data)
    let group = this.#group
    if (group === undefined) {
      let resolve!: () => void
      let reject!: (e: Error) => void
      const done = new Promise<void>((res, rej) => {
        resolve = res
        reject = rej
      })
      group = this.#group = { done, resolve, reject }
      this.#immediate = setImmediate(() => this.#flush())
    }
    if (this.#queued.length >= MAX_GROUP) this.flush()
    return group.done
  }

  /** Sends the acks waiting for the event loop to turn now (no-op when none wait). */
  flush(): void {
    if (this.#group === undefined) return
    clearImmediate(this.#immediate)
    this.#flush()
  }

  #flush(): void {
    const group = this.#group
    if (group === undefined) return
    const ids = this.#queued
    this.#queued = []
    this.#group = undefined
    this.#immediate = undefined
    this.#send(CommandAck_AckType.Individual, ids).then(group.resolve, group.reject)
  }

  async #send(type: CommandAck_AckType, ids: MessageIdData[]): Promise<void> {
    const conn = this.#opts.connection()
    if (this.#opts.closed?.()) {
      // Acks grouped while the consumer was closing: close() flushed the group before them, and
      // these can no longer reach the broker (it redelivers the messages to the next consumer).
      throw new ClosedError('acknowledgement not sent: the consumer is closed')
    }
    if (!conn || !conn.isUsable) {
      // Not connected: the broker will redeliver these messages after the reconnect, so the
      // ack is not lost in effect; it is reported so a caller that must know can retry.
      throw new ConnectionError('acknowledgement not sent: the consumer is reconnecting')
    }
    if (this.#opts.ackReceipt) {
      const requestId = conn.newRequestId()
      await conn.sendRequest(requestId, {
        type: CommandType.ACK,
        ack: { consumerId: this.#opts.consumerId, ackType: type, messageId: ids, requestId },
      })
      return
    }
    conn.sendCommand({
      type: CommandType.ACK,
      ack: { consumerId: this.#opts.consumerId, ackType: type, messageId: ids },
    })
  }

  /** Forgets partial batch state (after a redelivery of everything). */
  reset(): void {
    this.#batchAcks.clear()
    this.#lastEntry = undefined
  }
}
