// The contract Producer over a driver's own producer, for drivers whose native producer already
// batches, bounds its buffer and drains on close: what is left is converting messages, reporting
// acknowledgements to onAck, and the contract's calling conventions (one message or an array; a
// message that fails validation rejects the promise instead of throwing synchronously).

import type { MessageInput, Producer, SendResult } from './contract.ts'

/** How the driver's native producer is reached. `I` is its message input, `R` its receipt. */
export interface NativeProducer<I, R> {
  /** Validates and converts; throws a ConfigError for a message the driver cannot carry. */
  convert(message: MessageInput): I
  send(input: I): Promise<R>
  /** Queues without waiting; false when the buffer is full. `settled` reports the outcome later. */
  trySend(input: I, settled: (ok: boolean) => void): boolean
  result(receipt: R): SendResult
  flush(): Promise<void>
  close(options?: { drop?: boolean }): Promise<number>
}

export class AdaptedProducer<I, R> implements Producer {
  readonly topic: string
  readonly #native: NativeProducer<I, R>
  readonly #onAck: ((count: number) => void) | undefined

  constructor(topic: string, native: NativeProducer<I, R>, onAck: ((count: number) => void) | undefined) {
    this.topic = topic
    this.#native = native
    this.#onAck = onAck
  }

  send(message: MessageInput): Promise<SendResult>
  send(messages: readonly MessageInput[]): Promise<SendResult[]>
  send(m: MessageInput | readonly MessageInput[]): Promise<SendResult | SendResult[]> {
    try {
      if (Array.isArray(m)) {
        // Convert all first: one bad message rejects the call before any of it is sent.
        const inputs = (m as readonly MessageInput[]).map((x) => this.#native.convert(x))
        return Promise.all(inputs.map((x) => this.#sendOne(x)))
      }
      return this.#sendOne(this.#native.convert(m as MessageInput))
    } catch (error) {
      return Promise.reject(error as Error)
    }
  }

  #sendOne(input: I): Promise<SendResult> {
    return this.#native.send(input).then((receipt) => {
      this.#onAck?.(1)
      return this.#native.result(receipt)
    })
  }

  trySend(message: MessageInput): boolean {
    return this.#native.trySend(this.#native.convert(message), (ok) => {
      if (ok) this.#onAck?.(1)
    })
  }

  flush(): Promise<void> {
    return this.#native.flush()
  }

  close(options?: { drop?: boolean }): Promise<number> {
    return this.#native.close(options)
  }
}
