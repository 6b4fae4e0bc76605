// The Pulsar producer users hold: one PartitionProducer for a non-partitioned topic, or one per
// partition of a partitioned topic with routing by key hash, round-robin, single partition or a
// custom router. Partitions added to the topic later are joined (partition-updater.ts).

import { ClosedError } from '../../core/errors.ts'
import type { PulsarClient } from '../client.ts'
import { PartitionUpdater } from '../partition-updater.ts'
import type { PartitionUpdateOptions } from '../partition-updater.ts'
import type { MessageId } from '../protocol/message-id.ts'
import { parseTopicName, partitionTopic } from '../topic-name.ts'
import { prepareMessage } from './message-builder.ts'
import type { PulsarMessageInput } from './message-builder.ts'
import { PartitionProducer } from './partition-producer.ts'
import type { PulsarProducerOptions } from './partition-producer.ts'
import { Router } from './routing.ts'
import type { RoutingOptions } from './routing.ts'

export type PulsarProducerConfig = PulsarProducerOptions & RoutingOptions & PartitionUpdateOptions

export class PulsarProducer {
  readonly topic: string
  readonly #client: PulsarClient
  readonly #partitions: PartitionProducer[]
  readonly #partitioned: boolean
  readonly #router: Router
  #updater: PartitionUpdater | undefined
  #closed = false
  #closing: Promise<number> | undefined

  private constructor(
    client: PulsarClient,
    topic: string,
    partitions: PartitionProducer[],
    partitioned: boolean,
    router: Router,
  ) {
    this.#client = client
    this.topic = topic
    this.#partitions = partitions
    this.#partitioned = partitioned
    this.#router = router
  }

  static async create(client: PulsarClient, opts: PulsarProducerConfig): Promise<PulsarProducer> {
    const topic = parseTopicName(opts.topic).full
    const router = new Router(opts)
    const count = await client.partitions(topic)
    const producers: PartitionProducer[] = []
    try {
      if (count === 0) producers.push(await PartitionProducer.create(client, topic, -1, opts))
      else {
        // Every partition is a topic of its own, so one producer name serves all of them
        // (deduplication state is kept per partition by the broker, as with the Java client).
        for (let i = 0; i < count; i++) {
          producers.push(await PartitionProducer.create(client, partitionTopic(topic, i), i, opts))
        }
      }
    } catch (err) {
      await Promise.allSettled(producers.map((p) => p.close({ drop: true })))
      throw err
    }
    const p = new PulsarProducer(client, topic, producers, count > 0, router)
    if (count > 0) {
      p.#updater = PartitionUpdater.start(client, topic, count, opts, (from, to) => p.#grow(opts, from, to))
    }
    client.track(p)
    return p
  }

  /**
   * Adds producers for partitions `from … to - 1`, in order: a partition becomes routable only when
   * its producer is ready, and every earlier one is, so routing never picks a hole.
   */
  async #grow(opts: PulsarProducerConfig, from: number, to: number): Promise<void> {
    for (let i = Math.max(from, this.#partitions.length); i < to; i++) {
      if (this.#closed) return
      this.#partitions.push(
        await PartitionProducer.create(this.#client, partitionTopic(this.topic, i), i, opts),
      )
    }
  }

  get partitions(): number {
    return this.#partitioned ? this.#partitions.length : 0
  }

  /** The producer name the broker knows (of partition 0 for partitioned topics). */
  get name(): string {
    return this.#partitions[0]!.name
  }

  get lastSequenceId(): bigint {
    return this.#partitions.reduce(
      (max, p) => (p.lastSequenceIdPublished > max ? p.lastSequenceIdPublished : max),
      -1n,
    )
  }

  get maxMessageSize(): number {
    return this.#partitions[0]!.maxMessageSize
  }

  #pick(message: ReturnType<typeof prepareMessage>): PartitionProducer {
    if (this.#closed) throw new ClosedError(`producer on ${this.topic} is closed`)
    if (!this.#partitioned) return this.#partitions[0]!
    return this.#partitions[this.#router.choose(message, this.#partitions.length)]!
  }

  /** Sends one message; resolves with its id when the broker stored it. */
  send(input: PulsarMessageInput): Promise<MessageId> {
    try {
      const message = prepareMessage(input)
      return this.#pick(message).send(message)
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  /** Like send, but returns undefined at once instead of waiting when the queue is full. */
  trySend(input: PulsarMessageInput): Promise<MessageId> | undefined {
    const message = prepareMessage(input)
    return this.#pick(message).trySend(message)
  }

  async flush(): Promise<void> {
    await Promise.all(this.#partitions.map((p) => p.flush()))
  }

  /** Closes every partition producer; resolves with the number of messages dropped. */
  close(opts: { drop?: boolean } = {}): Promise<number> {
    // A second close (client.close() racing the application's) waits for the first: the client
    // must not close the connections while this producer still drains its pending messages.
    if (this.#closing) return this.#closing.then(() => 0)
    this.#closed = true
    this.#closing = this.#close(opts)
    return this.#closing
  }

  async #close(opts: { drop?: boolean }): Promise<number> {
    // A growth in progress finishes first, so its new partitions are closed below too.
    try {
      if (this.#updater) await this.#updater.stop()
      const dropped = await Promise.all(this.#partitions.map((p) => p.close(opts)))
      return dropped.reduce((a, b) => a + b, 0)
    } finally {
      // Untracked only now, so a client.close() meanwhile still waits for this close to finish.
      this.#client.untrack(this)
    }
  }
}
