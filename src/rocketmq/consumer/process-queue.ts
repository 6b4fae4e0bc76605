// The messages of one queue that were pulled but not yet acknowledged, by queue offset. The
// committed offset of a queue is the smallest unacknowledged offset (or one past the highest
// pulled when everything is acknowledged), so acknowledging out of order never moves the group
// position past a message that was not processed — the Java ProcessQueue rule.

export class ProcessQueue {
  /** offset → body size, for messages pulled and not yet acknowledged. */
  readonly #inflight = new Map<number, number>()
  #bytes = 0
  #dropped = false
  /** Where the next pull starts. */
  nextOffset: number
  /** The last offset reported to the broker, to skip redundant updates. */
  lastCommitted = -1
  /** Orderly consumption: whether this client holds the broker lock of the queue. */
  locked = false
  lockedAt = 0

  constructor(nextOffset: number) {
    this.nextOffset = nextOffset
  }

  get dropped(): boolean {
    return this.#dropped
  }

  drop(): void {
    this.#dropped = true
  }

  get count(): number {
    return this.#inflight.size
  }

  get bytes(): number {
    return this.#bytes
  }

  add(offsets: readonly { offset: number; size: number }[]): void {
    for (const { offset, size } of offsets) {
      if (this.#inflight.has(offset)) continue
      this.#inflight.set(offset, size)
      this.#bytes += size
    }
  }

  /** Marks offsets processed; returns the offset that may now be committed. */
  remove(offsets: readonly number[]): number {
    for (const offset of offsets) {
      const size = this.#inflight.get(offset)
      if (size === undefined) continue
      this.#inflight.delete(offset)
      this.#bytes -= size
    }
    return this.commitOffset()
  }

  /** The smallest unprocessed offset, or where the next pull starts when nothing is in flight. */
  commitOffset(): number {
    if (this.#inflight.size === 0) return this.nextOffset
    let min = Infinity
    for (const offset of this.#inflight.keys()) if (offset < min) min = offset
    return min
  }
}
