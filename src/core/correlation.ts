// Matches responses to requests by id (Kafka correlation id, Pulsar request id, RocketMQ
// opaque). Each pending request has its own timeout so one lost response fails that request
// alone, with a TimeoutError that says what was waited for; a dead connection fails all of them
// at once through rejectAll(). Timers are unref'd: a pending request must not keep a process
// alive that has nothing else to do, and they are cleared on resolve so nothing leaks.

import { ProtocolError, TimeoutError } from './errors.ts'

interface Pending<V> {
  resolve: (value: V) => void
  reject: (err: Error) => void
  timer: ReturnType<typeof setTimeout> | undefined
}

export interface RegisterOptions {
  /** Milliseconds until the request fails with TimeoutError; Infinity (or <= 0) for none. */
  timeoutMs: number
  /** What is awaited, for the timeout message, e.g. `Produce v9 to broker 1 (127.0.0.1:9092)`. */
  what: string
}

export class CorrelationMap<K, V> {
  readonly #pending = new Map<K, Pending<V>>()

  get size(): number {
    return this.#pending.size
  }

  has(id: K): boolean {
    return this.#pending.has(id)
  }

  /** A promise for the response to request `id`. A second register of a pending id rejects. */
  register(id: K, opts: RegisterOptions): Promise<V> {
    if (this.#pending.has(id)) {
      return Promise.reject(
        new ProtocolError(`request id ${String(id)} is already waiting for a response (${opts.what})`, {
          code: 'CONDUIT_DUPLICATE_REQUEST_ID',
        }),
      )
    }
    return new Promise<V>((resolve, reject) => {
      const entry: Pending<V> = { resolve, reject, timer: undefined }
      const { timeoutMs } = opts
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        entry.timer = setTimeout(() => {
          if (this.#pending.get(id) !== entry) return
          this.#pending.delete(id)
          reject(new TimeoutError(`${opts.what} timed out after ${timeoutMs} ms`))
        }, timeoutMs)
        entry.timer.unref()
      }
      this.#pending.set(id, entry)
    })
  }

  /** Settles request `id` with its response; false when nothing waits for it (late or unknown). */
  resolve(id: K, value: V): boolean {
    const entry = this.#take(id)
    if (!entry) return false
    entry.resolve(value)
    return true
  }

  /** Fails request `id`; false when nothing waits for it. */
  reject(id: K, err: Error): boolean {
    const entry = this.#take(id)
    if (!entry) return false
    entry.reject(err)
    return true
  }

  /** Fails every pending request, e.g. with a ConnectionError when the socket died. */
  rejectAll(err: Error): void {
    const entries = [...this.#pending.values()]
    this.#pending.clear()
    for (const entry of entries) {
      if (entry.timer) clearTimeout(entry.timer)
      entry.reject(err)
    }
  }

  #take(id: K): Pending<V> | undefined {
    const entry = this.#pending.get(id)
    if (!entry) return undefined
    this.#pending.delete(id)
    if (entry.timer) clearTimeout(entry.timer)
    return entry
  }
}
