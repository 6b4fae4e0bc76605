// A producer of the embedded broker, with libbeat's producer semantics: a bounded buffer of messages
// accepted but not yet acknowledged (`send` waits for room, `trySend` returns false when full), ACK
// counts reported in send order through `onAck`, and `close({ drop: true })` removing exactly this
// producer's messages that have not reached the log yet and reporting how many.
//
// "Acknowledged" means: appended to the partition log — in `file:` mode written to the segment file
// (surviving a kill -9 of the process) and, with `fsync: 'always'`, also fsynced (surviving a
// power loss). Acknowledged messages are never dropped.
//
// Keys and values given as Uint8Array are stored by reference, not copied (message.ts explains
// why): do not modify a buffer after sending it.

import type { MessageInput, Producer, SendResult } from '../core/contract.ts'
import { ClosedError, ConfigError, MessageTooLargeError } from '../core/errors.ts'
import { timestampOf, toBytes, toOptionalBytes, validateMessageInput } from '../core/message.ts'
import type { Engine, QueuedSend, SendOwner } from './engine.ts'
import { StoredMessage, recordSize } from './message.ts'
import type { Topic } from './topic.ts'

export const DEFAULT_BUFFER_SIZE = 100_000

class PendingSend implements QueuedSend {
  readonly topic: Topic
  readonly messages: StoredMessage[]
  readonly owner: MemoryProducer
  readonly single: boolean
  readonly resolve: ((result: never) => void) | null
  readonly reject: ((error: Error) => void) | null

  constructor(
    owner: MemoryProducer,
    topic: Topic,
    messages: StoredMessage[],
    single: boolean,
    resolve: ((result: never) => void) | null,
    reject: ((error: Error) => void) | null,
  ) {
    this.owner = owner
    this.topic = topic
    this.messages = messages
    this.single = single
    this.resolve = resolve
    this.reject = reject
  }

  settle(error: Error | null): void {
    this.owner.settled(this, error)
  }
}

export interface MemoryProducerOptions {
  bufferSize: number
  onAck: ((count: number) => void) | undefined
  maxMessageBytes: number
  onClose: (producer: MemoryProducer) => void
}

export class MemoryProducer implements Producer, SendOwner {
  readonly topic: string
  private readonly target: Topic
  private readonly engine: Engine
  private readonly options: MemoryProducerOptions
  /** Accepted, not yet taken by the engine's flush. */
  private queue: PendingSend[] = []
  /** Sends waiting for room in the buffer, in call order. */
  private readonly waiting: PendingSend[] = []
  /** Messages accepted and not yet acknowledged. */
  private buffered = 0
  private issued = 0
  private settledCount = 0
  private readonly flushWaiters: { target: number; resolve: () => void }[] = []
  private closing: Promise<number> | null = null
  private inflightSettled: (() => void) | null = null

  constructor(engine: Engine, topic: Topic, options: MemoryProducerOptions) {
    this.engine = engine
    this.target = topic
    this.topic = topic.name
    this.options = options
  }

  private prepare(input: MessageInput, now: number): StoredMessage {
    validateMessageInput(input)
    const key = toOptionalBytes(input.key)
    const value = input.value === null ? null : toBytes(input.value)
    const size = (value?.length ?? 0) + (key?.length ?? 0)
    if (size > this.options.maxMessageBytes)
      throw new MessageTooLargeError(size, this.options.maxMessageBytes)
    let headers: Record<string, string> | undefined
    if (input.headers !== undefined) {
      // A copy, so later changes to the caller's object do not alter the stored record.
      for (const name in input.headers) {
        headers = Object.freeze({ ...input.headers })
        break
      }
    }
    return new StoredMessage(
      this.topic,
      this.target.partitionFor(key, input.partition),
      -1,
      timestampOf(input.timestamp, now),
      key,
      value,
      headers,
      recordSize(key, value, headers),
    )
  }

  send(message: MessageInput): Promise<SendResult>
  send(messages: readonly MessageInput[]): Promise<SendResult[]>
  send(input: MessageInput | readonly MessageInput[]): Promise<SendResult | SendResult[]> {
    if (this.closing) return Promise.reject(new ClosedError(`producer for topic "${this.topic}" is closed`))
    let prepared: StoredMessage[]
    const single = !Array.isArray(input)
    try {
      const now = Date.now()
      if (single) {
        prepared = [this.prepare(input as MessageInput, now)]
      } else {
        const list = input as readonly MessageInput[]
        prepared = new Array<StoredMessage>(list.length)
        for (let i = 0; i < list.length; i++) prepared[i] = this.prepare(list[i]!, now)
      }
    } catch (error) {
      return Promise.reject(error as Error)
    }
    if (prepared.length === 0) return Promise.resolve([])
    return new Promise((resolve, reject) => {
      this.admit(new PendingSend(this, this.target, prepared, single, resolve as (r: never) => void, reject))
    })
  }

  trySend(message: MessageInput): boolean {
    if (this.closing) throw new ClosedError(`producer for topic "${this.topic}" is closed`)
    const prepared = this.prepare(message, Date.now())
    if (this.waiting.length > 0 || (this.buffered + 1 > this.options.bufferSize && this.buffered > 0))
      return false
    this.admit(new PendingSend(this, this.target, [prepared], true, null, null))
    return true
  }

  /** Accepts a send into the buffer, or parks it until there is room (order is kept either way). */
  private admit(send: PendingSend): void {
    this.issued++
    if (this.waiting.length > 0 || !this.hasRoomFor(send.messages.length)) {
      this.waiting.push(send)
      return
    }
    this.accept(send)
  }

  /** A send bigger than the whole buffer is accepted once the buffer is empty, rather than never. */
  private hasRoomFor(count: number): boolean {
    return this.buffered === 0 || this.buffered + count <= this.options.bufferSize
  }

  private accept(send: PendingSend): void {
    this.buffered += send.messages.length
    this.queue.push(send)
    if (this.queue.length === 1) this.engine.schedule(this)
  }

  takeQueued(): QueuedSend[] {
    const queue = this.queue
    this.queue = []
    return queue
  }

  acknowledged(send: QueuedSend): void {
    const onAck = this.options.onAck
    if (onAck) {
      try {
        onAck(send.messages.length)
      } catch {
        // An observer's failure must not break delivery to the other sends.
      }
    }
  }

  settled(send: PendingSend, error: Error | null): void {
    this.buffered -= send.messages.length
    this.settledCount++
    if (error) send.reject?.(error)
    else if (send.resolve) {
      const messages = send.messages
      // The stored records are the results: topic, partition, offset, id.
      send.resolve((send.single ? messages[0]! : messages) as never)
    }
    while (this.waiting.length > 0 && this.hasRoomFor(this.waiting[0]!.messages.length)) {
      this.accept(this.waiting.shift()!)
    }
    this.afterSettle()
  }

  private afterSettle(): void {
    while (this.flushWaiters.length > 0 && this.flushWaiters[0]!.target <= this.settledCount) {
      this.flushWaiters.shift()!.resolve()
    }
    if (this.inflightSettled && this.settledCount === this.issued) this.inflightSettled()
  }

  flush(): Promise<void> {
    if (this.settledCount >= this.issued) return Promise.resolve()
    return new Promise((resolve) => this.flushWaiters.push({ target: this.issued, resolve }))
  }

  close(options: { drop?: boolean } = {}): Promise<number> {
    if (options !== null && typeof options !== 'object') {
      return Promise.reject(new ConfigError('producer.close() takes an options object like { drop: true }'))
    }
    this.closing ??= this.doClose(options?.drop === true)
    return this.closing
  }

  private async doClose(drop: boolean): Promise<number> {
    let dropped = 0
    if (drop) {
      // Everything the engine has not taken yet has not reached the log: remove it. Queued sends
      // are counted in `buffered`, parked ones not yet; settled() subtracts both.
      const queued = this.queue
      const parked = this.waiting.splice(0)
      this.queue = []
      for (const send of parked) this.buffered += send.messages.length
      for (const send of [...queued, ...parked]) {
        dropped += send.messages.length
        this.settled(
          send,
          new ClosedError(`producer for topic "${this.topic}" closed with drop: message not sent`),
        )
      }
    }
    if (this.settledCount < this.issued) {
      await new Promise<void>((resolve) => {
        this.inflightSettled = resolve
      })
    }
    this.options.onClose(this)
    return dropped
  }
}
