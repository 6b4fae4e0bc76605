// Bounded producer memory (Java's buffer.memory + max.block.ms). Every buffered record holds a
// reservation of its estimated size until the broker acknowledged it (or it failed). When the
// budget is spent, `reserve` waits — in FIFO order, so a big record is not starved by small
// ones overtaking it — until enough is released or `maxBlockMs` passes; `tryReserve` answers at
// once. A record larger than the whole budget can never fit and fails immediately.

import { BufferFullError, ClosedError, MessageTooLargeError } from '../../core/errors.ts'

interface Waiter {
  bytes: number
  resolve: () => void
  reject: (err: Error) => void
  timer: ReturnType<typeof setTimeout> | undefined
}

export class BufferBudget {
  readonly maxBytes: number
  readonly maxRecords: number
  #usedBytes = 0
  #usedRecords = 0
  readonly #waiters: Waiter[] = []
  #closed: Error | undefined

  constructor(maxBytes: number, maxRecords: number) {
    this.maxBytes = maxBytes
    this.maxRecords = maxRecords
  }

  get usedBytes(): number {
    return this.#usedBytes
  }
  get usedRecords(): number {
    return this.#usedRecords
  }

  #fits(bytes: number): boolean {
    return this.#usedBytes + bytes <= this.maxBytes && this.#usedRecords + 1 <= this.maxRecords
  }

  #check(bytes: number): void {
    if (this.#closed) throw this.#closed
    if (bytes > this.maxBytes) throw new MessageTooLargeError(bytes, this.maxBytes)
  }

  tryReserve(bytes: number): boolean {
    this.#check(bytes)
    if (this.#waiters.length > 0 || !this.#fits(bytes)) return false
    this.#usedBytes += bytes
    this.#usedRecords++
    return true
  }

  /** Waits up to `maxBlockMs` for room; 0 fails at once with BufferFullError. */
  reserve(bytes: number, maxBlockMs: number): Promise<void> {
    if (this.tryReserve(bytes)) return Promise.resolve()
    if (maxBlockMs <= 0) {
      return Promise.reject(
        new BufferFullError(
          `producer buffer full (${this.#usedRecords} records, ${this.#usedBytes}/${this.maxBytes} bytes)`,
        ),
      )
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { bytes, resolve, reject, timer: undefined }
      if (Number.isFinite(maxBlockMs)) {
        waiter.timer = setTimeout(() => {
          const i = this.#waiters.indexOf(waiter)
          if (i >= 0) this.#waiters.splice(i, 1)
          reject(
            new BufferFullError(`producer buffer still full after waiting ${maxBlockMs} ms (maxBlockMs)`),
          )
          this.#wake()
        }, maxBlockMs)
      }
      this.#waiters.push(waiter)
    })
  }

  release(bytes: number, records = 1): void {
    this.#usedBytes = Math.max(0, this.#usedBytes - bytes)
    this.#usedRecords = Math.max(0, this.#usedRecords - records)
    this.#wake()
  }

  #wake(): void {
    while (this.#waiters.length > 0 && this.#fits(this.#waiters[0]!.bytes)) {
      const w = this.#waiters.shift()!
      clearTimeout(w.timer)
      this.#usedBytes += w.bytes
      this.#usedRecords++
      w.resolve()
    }
  }

  /** Fails every waiter and every later reservation (producer closing). */
  close(): void {
    this.#closed = new ClosedError('producer is closed')
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer)
      w.reject(this.#closed)
    }
  }
}
