// Timed redelivery: negative acks wait `delayMs` before the broker is asked to redeliver, and the
// ack-timeout tracker asks for messages handed out but not acknowledged within `ackTimeoutMs`.
// Both group what is due into one request per tick.

import type { MessageId } from '../protocol/message-id.ts'

export class RedeliveryTimer {
  readonly #due = new Map<string, { id: MessageId; at: number }>()
  readonly #redeliver: (ids: MessageId[]) => void
  readonly #timer: ReturnType<typeof setInterval>

  constructor(tickMs: number, redeliver: (ids: MessageId[]) => void) {
    this.#redeliver = redeliver
    this.#timer = setInterval(() => this.#tick(), Math.max(10, tickMs))
    this.#timer.unref()
  }

  /** Schedules (or re-schedules) redelivery of `id` at time `at`. */
  add(id: MessageId, at: number): void {
    this.#due.set(id.toString(), { id, at })
  }

  remove(id: MessageId): void {
    this.#due.delete(id.toString())
  }

  get size(): number {
    return this.#due.size
  }

  clear(): void {
    this.#due.clear()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#due.clear()
  }

  #tick(): void {
    const now = Date.now()
    const ready: MessageId[] = []
    for (const [key, e] of this.#due) {
      if (e.at <= now) {
        ready.push(e.id)
        this.#due.delete(key)
      }
    }
    if (ready.length > 0) this.#redeliver(ready)
  }
}
