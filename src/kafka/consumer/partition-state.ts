// What the consumer knows about one partition it reads: the next offset to fetch, records
// fetched but not yet handed out, and which handed-out ranges the application acknowledged.
//
// Commit rule ("processed offsets only"): batches may be acknowledged out of order (run() with
// concurrency across partitions, or an application that acks later batches first). The offset
// committed is the end of the longest acknowledged prefix of what was handed out, so an
// unacknowledged batch is never skipped by a commit.

import type { Message } from '../../core/contract.ts'

/** Bytes a buffered message counts against the prefetch limit. */
export function messageBytes(m: Message): number {
  return (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64
}

interface DeliveredRange {
  start: number
  end: number
  acked: boolean
}

export class PartitionState {
  readonly topic: string
  readonly partition: number
  /** Next offset to fetch; undefined until resolved (committed offset or reset policy). */
  position: bigint | undefined
  /** Bumped by seek/reset/revoke: fetch answers and acks of an older token are ignored. */
  token = 0
  paused = false
  fetching = false
  /** Batches handed out and neither acked nor nacked yet. */
  outstanding = 0
  buffered: Message[] = []
  bufferedBytes = 0
  highWatermark = -1n
  /** Last committed (or resolved start) position; a commit is due when it differs. */
  committed: number | undefined
  /** Ranges handed out and not yet committed, oldest first. */
  #delivered: DeliveredRange[] = []
  /** Position the next commit should store (end of the acknowledged prefix). */
  #ackedUpTo: number | undefined
  /** A fatal error for this partition (e.g. OFFSET_OUT_OF_RANGE with reset 'none'). */
  error: Error | undefined
  /** Fetches in a row whose records failed their CRC check (see Fetcher: fetched again). */
  corruptFetches = 0

  constructor(topic: string, partition: number) {
    this.topic = topic
    this.partition = partition
  }

  /** Moves the fetch position; drops buffered records and forgets handed-out ranges. */
  seek(offset: bigint): void {
    this.position = offset
    this.token++
    this.buffered = []
    this.bufferedBytes = 0
    this.#delivered = []
    this.#ackedUpTo = Number(offset)
    this.outstanding = 0
    this.error = undefined
  }

  /** Records handed to the application (removed from the buffer). */
  take(max: number): Message[] {
    const out = this.buffered.splice(0, max)
    let bytes = 0
    for (const m of out) bytes += messageBytes(m)
    this.bufferedBytes = Math.max(0, this.bufferedBytes - bytes)
    if (out.length > 0) {
      this.#delivered.push({ start: out[0]!.offset, end: out.at(-1)!.offset + 1, acked: false })
    }
    return out
  }

  /** Marks a handed-out range acknowledged; returns true when the commit position moved. */
  ack(start: number, end: number): boolean {
    const range = this.#delivered.find((r) => r.start === start && r.end === end)
    if (!range) return false
    range.acked = true
    let moved = false
    while (this.#delivered.length > 0 && this.#delivered[0]!.acked) {
      this.#ackedUpTo = this.#delivered.shift()!.end
      moved = true
    }
    return moved
  }

  /** Where a commit should put the group position now, if anywhere new. */
  get commitPosition(): number | undefined {
    if (this.#ackedUpTo === undefined || this.#ackedUpTo === this.committed) return undefined
    return this.#ackedUpTo
  }

  /** The position was resolved from a committed offset (nothing to commit until acks move it). */
  startFrom(offset: bigint, committed: boolean): void {
    this.seek(offset)
    if (committed) this.committed = Number(offset)
  }
}
