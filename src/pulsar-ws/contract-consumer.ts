// The contract consumer on native WebSocket consumers (one per topic, merged into one stream).
//
// The lock rule is src/core/lane-batches.ts; the native consumers run in pull mode, so a full
// stash stops asking for permits. When a socket drops the stash is dropped — the broker
// redelivers it.

import type { Batch, Consumer, Message, RunOptions } from '../core/contract.ts'
import { ClosedError, ConfigError } from '../core/errors.ts'
import { createMessage } from '../core/message.ts'
import { LaneBatches } from '../core/lane-batches.ts'
import { runHandler } from '../core/run-handler.ts'
import type { PulsarWsConsumer } from './consumer.ts'
import type { PulsarWsMessage } from './message.ts'
import { MessageId } from './message-id.ts'

/** Messages of several native consumers (one per topic) as one stream. */
class Merged {
  readonly consumers: PulsarWsConsumer[]
  readonly #pending = new Map<
    PulsarWsConsumer,
    Promise<{ c: PulsarWsConsumer; m: PulsarWsMessage | undefined }>
  >()

  constructor(consumers: PulsarWsConsumer[]) {
    this.consumers = consumers
  }

  /** The next message of any consumer; undefined when every consumer closed. */
  async receive(): Promise<PulsarWsMessage | undefined> {
    for (;;) {
      const open = this.consumers.filter((c) => !c.closed || this.#pending.has(c))
      if (open.length === 0) return undefined
      for (const c of open) {
        if (!this.#pending.has(c))
          this.#pending.set(
            c,
            c.receive().then((m) => ({ c, m })),
          )
      }
      const { c, m } = await Promise.race(this.#pending.values())
      this.#pending.delete(c)
      if (m !== undefined) return m
    }
  }

  receiveNow(max: number): PulsarWsMessage[] {
    const out: PulsarWsMessage[] = []
    for (const c of this.consumers) {
      if (this.#pending.has(c)) continue // its next message goes to the pending receive()
      out.push(...c.receiveNow(max - out.length))
    }
    return out
  }
}

export class ContractConsumer implements Consumer {
  readonly #merged: Merged
  readonly #lanes: LaneBatches<PulsarWsMessage>
  #closed = false

  constructor(
    consumers: PulsarWsConsumer[],
    maxBatch: number,
    ackTimeoutMs: number | undefined,
    names: Map<string, string>,
  ) {
    const merged = new Merged(consumers)
    this.#merged = merged
    const consumerOf = (m: PulsarWsMessage): PulsarWsConsumer =>
      consumers.find((c) => c.topic === m.fullTopic)!
    this.#lanes = new LaneBatches<PulsarWsMessage>(
      {
        receive: () => merged.receive(),
        receiveNow: (max) => merged.receiveNow(max),
        lane: (m) => `${m.fullTopic}\u0000${m.partition}`,
        view: (m) => viewOf(m, names),
        settle(messages, how) {
          for (const m of messages) {
            if (how === 'ack') consumerOf(m).ack(m)
            else consumerOf(m).nack(m)
          }
        },
      },
      { maxBatch, ackTimeoutMs },
    )
    // The broker redelivers whatever was not acked; keeping the stash would hand it out twice.
    for (const c of consumers) c.onDisconnect(() => this.#lanes.drop(false))
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    try {
      yield* this.#lanes.batches()
    } finally {
      // Leaving a for-await loop early closes the consumer, as with a stream; the broker redelivers
      // what was neither acked nor nacked to the subscription's other (or next) consumers.
      await this.close()
    }
  }

  run(options: RunOptions): Promise<void> {
    return runHandler(this, options)
  }

  async seek(id: string): Promise<void> {
    if (this.#closed) throw new ClosedError('consumer is closed')
    const target = MessageId.parse(id)
    const consumers = this.#merged.consumers
    // With several topics, the id's partition alone cannot say which topic it belongs to.
    if (consumers.length !== 1) throw new ConfigError('seek(id) needs a consumer of exactly one topic')
    this.#lanes.drop(true)
    await consumers[0]!.seek(target)
    this.#lanes.drop(false)
  }

  pause(): void {
    for (const c of this.#merged.consumers) c.pause()
  }

  resume(): void {
    for (const c of this.#merged.consumers) c.resume()
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#lanes.close()
    await Promise.all(this.#merged.consumers.map((c) => c.close()))
  }
}

function viewOf(m: PulsarWsMessage, names: Map<string, string>): Message {
  return createMessage({
    topic: names.get(m.fullTopic) ?? m.fullTopic,
    partition: Math.max(0, m.partition),
    offset: -1,
    id: m.id.toString(),
    key: m.keyBytes,
    value: m.payload,
    headers: m.properties,
    timestamp: m.eventTime?.getTime() ?? m.publishTime.getTime(),
    redeliveryCount: m.redeliveryCount,
  })
}
