// A Reader: a non-durable exclusive subscription that starts at the earliest or latest message or
// at a message id (inclusive or not) and leaves no cursor behind. On reconnect it resumes right
// after the last message it handed out, so the application sees no gap and no duplicate.

import { randomBytes } from 'node:crypto'
import type { PulsarClient } from './client.ts'
import { PulsarConsumer } from './consumer/consumer.ts'
import type { PulsarMessage } from './consumer/message.ts'
import { MessageId } from './protocol/message-id.ts'

export interface PulsarReaderOptions {
  topic: string
  /** 'earliest', 'latest', or a message id (object, Java-compatible bytes, or `ledger:entry:partition:batch`). */
  startMessageId: 'earliest' | 'latest' | MessageId | Uint8Array | string
  startMessageIdInclusive?: boolean
  /**
   * Partitioned topics: a specific start id belongs to one partition; the other partitions start
   * here. Default 'earliest' (nothing on them is skipped).
   */
  otherPartitions?: 'earliest' | 'latest'
  receiverQueueSize?: number
  readCompacted?: boolean
  subscriptionName?: string
}

export class PulsarReader implements AsyncIterable<PulsarMessage> {
  readonly #consumer: PulsarConsumer

  private constructor(consumer: PulsarConsumer) {
    this.#consumer = consumer
  }

  static async create(client: PulsarClient, opts: PulsarReaderOptions): Promise<PulsarReader> {
    const s = opts.startMessageId
    const start =
      s === 'earliest'
        ? MessageId.earliest
        : s === 'latest'
          ? MessageId.latest
          : s instanceof MessageId
            ? s
            : s instanceof Uint8Array
              ? MessageId.fromBytes(s)
              : MessageId.parse(s)
    const consumer = await PulsarConsumer.create(client, {
      topic: opts.topic,
      subscription: opts.subscriptionName ?? `reader-${randomBytes(5).toString('hex')}`,
      subscriptionType: 'Exclusive',
      durable: false,
      startMessageId: start,
      startInclusive: opts.startMessageIdInclusive ?? false,
      initialPosition:
        s === 'earliest' || (s !== 'latest' && (opts.otherPartitions ?? 'earliest') === 'earliest')
          ? 'earliest'
          : 'latest',
      ...(opts.receiverQueueSize !== undefined ? { receiverQueueSize: opts.receiverQueueSize } : {}),
      ...(opts.readCompacted ? { readCompacted: true } : {}),
    })
    return new PulsarReader(consumer)
  }

  /** The next message; undefined once the reader is closed. */
  readNext(signal?: AbortSignal): Promise<PulsarMessage | undefined> {
    return this.#consumer.receive(signal)
  }

  hasMessageAvailable(): Promise<boolean> {
    return this.#consumer.hasMessageAvailable()
  }

  seek(target: MessageId | number | Date): Promise<void> {
    return this.#consumer.seek(target)
  }

  get reachedEndOfTopic(): boolean {
    return this.#consumer.reachedEndOfTopic
  }

  [Symbol.asyncIterator](): AsyncIterator<PulsarMessage> {
    return this.#consumer[Symbol.asyncIterator]()
  }

  close(): Promise<void> {
    return this.#consumer.close()
  }
}
