// The lock rule of the common contract for drivers whose native consumer acknowledges message by
// message (Pulsar binary and WebSocket): a lane (a partition) has at most one batch in flight per
// consumer; its next messages wait in a bounded local stash until that batch is acked, nacked or
// its ack timeout passed. That gives per-partition order and "no second message before the first
// is acked" on top of per-message acknowledgement. While the stash is full nothing more is taken
// from the native consumer, so its own flow control (permits) holds the broker back.

import type { Batch, Message } from './contract.ts'

/** What the native consumer provides. */
export interface LaneSource<M> {
  /** The next message; undefined once the consumer closed. */
  receive(): Promise<M | undefined>
  /** Messages already received, without waiting. */
  receiveNow(max: number): M[]
  /** Messages of one lane are handed out one batch at a time, in order. */
  lane(message: M): string
  /** The message as the contract shows it. */
  view(message: M): Message
  settle(messages: M[], how: 'ack' | 'nack'): Promise<void> | void
}

export interface LaneBatchesOptions {
  maxBatch: number
  /** After this long an unsettled batch frees its lanes: the broker's ack timeout redelivers it. */
  ackTimeoutMs: number | undefined
}

export class LaneBatches<M> {
  readonly #source: LaneSource<M>
  readonly #maxBatch: number
  readonly #stashLimit: number
  readonly #ackTimeoutMs: number | undefined
  readonly #stash: M[] = []
  readonly #inFlight = new Set<string>()
  #receiving: Promise<M | undefined> | undefined
  #wake: (() => void) | undefined
  #closed = false

  constructor(source: LaneSource<M>, options: LaneBatchesOptions) {
    this.#source = source
    this.#maxBatch = options.maxBatch
    this.#stashLimit = Math.max(4 * options.maxBatch, 100)
    this.#ackTimeoutMs = options.ackTimeoutMs
  }

  async *batches(): AsyncGenerator<Batch> {
    for (;;) {
      if (this.#closed) return
      const taken = this.#take()
      if (taken.length > 0) {
        yield this.#batch(taken)
        continue
      }
      const woken = new Promise<'wake'>((resolve) => (this.#wake = () => resolve('wake')))
      if (this.#stash.length < this.#stashLimit) this.#receiving ??= this.#source.receive()
      const got = this.#receiving ? await Promise.race([this.#receiving, woken]) : await woken
      this.#wake = undefined
      if (got === 'wake') continue
      this.#receiving = undefined
      if (got === undefined) return // the native consumer closed
      this.#stash.push(got, ...this.#source.receiveNow(this.#stashLimit - this.#stash.length - 1))
    }
  }

  /**
   * Forgets stashed messages (the broker redelivers them: after a disconnect, keeping them would
   * hand them out twice) and, with `lanes`, the batches in flight too (after a seek).
   */
  drop(lanes: boolean): void {
    this.#stash.length = 0
    if (lanes) this.#inFlight.clear()
    this.#wake?.()
  }

  close(): void {
    this.#closed = true
    this.#wake?.()
  }

  /** Oldest stashed messages of lanes with no batch in flight, in order, up to maxBatch. */
  #take(): M[] {
    const out: M[] = []
    const used = new Set<string>()
    for (let i = 0; i < this.#stash.length && out.length < this.#maxBatch;) {
      const m = this.#stash[i]!
      const lane = this.#source.lane(m)
      if (this.#inFlight.has(lane)) {
        i++
        continue
      }
      used.add(lane)
      out.push(m)
      this.#stash.splice(i, 1)
    }
    for (const lane of used) this.#inFlight.add(lane)
    return out
  }

  #release(lanes: Set<string>, timer: ReturnType<typeof setTimeout> | undefined): void {
    if (timer) clearTimeout(timer)
    for (const lane of lanes) this.#inFlight.delete(lane)
    this.#wake?.()
  }

  #batch(taken: M[]): Batch {
    const lanes = new Set(taken.map((m) => this.#source.lane(m)))
    let settled = false
    const timer =
      this.#ackTimeoutMs !== undefined
        ? setTimeout(() => {
            settled = true
            this.#release(lanes, undefined)
          }, this.#ackTimeoutMs)
        : undefined
    timer?.unref()
    const settle = async (how: 'ack' | 'nack'): Promise<void> => {
      if (settled) return
      settled = true
      try {
        await this.#source.settle(taken, how)
      } finally {
        this.#release(lanes, timer)
      }
    }
    return {
      messages: taken.map((m) => this.#source.view(m)),
      ack: () => settle('ack'),
      nack: () => settle('nack'),
    }
  }
}
