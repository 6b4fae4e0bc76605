// sendBatch's one promise for many records. With a promise per record joined by Promise.all, a
// batch of 100 records costs 100 promises, 200 closures and 100 reactions before its caller hears
// back; here each buffered record is a small object whose resolve/reject land in one shared
// result, and only that result's promise is settled. Same outcome as Promise.all: the
// acknowledgements in record order, or the first failure.

import type { PendingRecord, RecordMetadata } from './accumulator.ts'

interface Releasable {
  release(bytes: number): void
}

export class BatchResult {
  readonly promise: Promise<RecordMetadata[]>
  readonly #results: RecordMetadata[]
  #left: number
  #settled = false
  #resolve!: (results: RecordMetadata[]) => void
  #reject!: (err: Error) => void

  constructor(count: number) {
    this.#results = new Array<RecordMetadata>(count)
    this.#left = count
    this.promise = new Promise<RecordMetadata[]>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    if (count === 0) this.#finish()
  }

  ok(index: number, meta: RecordMetadata): void {
    this.#results[index] = meta
    if (--this.#left === 0) this.#finish()
  }

  /** The first failure rejects the whole result; the other records still complete on their own. */
  fail(err: Error): void {
    if (this.#settled) return
    this.#settled = true
    this.#reject(err)
  }

  #finish(): void {
    if (this.#settled) return
    this.#settled = true
    this.#resolve(this.#results)
  }
}

/** A buffered record of a sendBatch call: settles its slot of the shared result. */
export class BatchRecord implements PendingRecord {
  readonly key: Uint8Array | null
  readonly value: Uint8Array | null
  readonly headers: [string, Uint8Array][]
  readonly timestamp: number
  readonly size: number
  readonly #budget: Releasable
  readonly #result: BatchResult
  readonly #index: number

  constructor(
    fields: {
      key: Uint8Array | null
      value: Uint8Array | null
      headers: [string, Uint8Array][]
      timestamp: number
      size: number
    },
    budget: Releasable,
    result: BatchResult,
    index: number,
  ) {
    this.key = fields.key
    this.value = fields.value
    this.headers = fields.headers
    this.timestamp = fields.timestamp
    this.size = fields.size
    this.#budget = budget
    this.#result = result
    this.#index = index
  }

  resolve(meta: RecordMetadata): void {
    this.#budget.release(this.size)
    this.#result.ok(this.#index, meta)
  }

  reject(err: Error): void {
    this.#budget.release(this.size)
    this.#result.fail(err)
  }
}
