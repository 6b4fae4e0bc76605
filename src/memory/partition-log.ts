// One partition of a topic: an ordered log of records addressed by offset. In `memory:` mode the
// records live only here. In `file:` mode a durable log (file/log.ts) holds them on disk and this
// keeps the most recent ones decoded in memory, so consumers that keep up never read the disk.
//
// Offsets below `visibleEnd` may be delivered. With `fsync: 'always'` a record becomes visible only
// once it is on disk, so no consumer ever processes a message that a crash could take back.

import { toStorageError } from './file/storage-error.ts'
import type { DamagedRange } from './file/damage.ts'
import type { StoredMessage } from './message.ts'

/** The disk side of a partition (file/log.ts). Calls are synchronous except `sync`. */
export interface DurablePartition {
  /** The partition's directory, named in storage errors. */
  readonly dir: string
  readonly earliest: number
  readonly next: number
  /** Encodes and writes records (whose offsets are already assigned, from `next` on) in one write. */
  append(records: readonly StoredMessage[]): void
  /** Up to `max` records from `offset` (clamped to what is retained), read from disk. */
  read(offset: number, max: number): StoredMessage[]
  /** First offset whose timestamp is at or after `timestamp`, or `next` when none is. */
  offsetForTimestamp(timestamp: number): number
  /** Calls back once everything written so far is on stable storage. */
  sync(callback: (error: Error | null) => void): void
  /** Deletes whole segments outside the retention limits; returns the new earliest offset. */
  applyRetention(now: number): number
  close(): void
  /** Ranges found damaged since the log was opened (file/damage.ts). */
  readonly damaged?: readonly DamagedRange[]
}

export interface RetentionPolicy {
  /** Keep at most this many bytes per partition (whole segments/chunks are dropped). */
  bytes?: number
  /** Drop records older than this. */
  ms?: number
}

/** How many decoded records a durable partition keeps in memory for consumers that keep up. */
const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024
/**
 * …and at most this many, whatever their size. The cost of the cache is the garbage collector's,
 * and it goes by records, not bytes: a record the cache holds longer than about two young-generation
 * collections is promoted to the old generation, where every one later dies in a full collection.
 * With 32 MiB of 100-byte records (~250k) the cache held every record long enough for that, and
 * `file:` spent over a third more CPU per message than with 4 MiB (~32k records). A consumer that
 * keeps up lags by its batch and the sends in flight, a few thousand records; one further behind
 * reads the segment files (page cache) instead.
 */
const DEFAULT_CACHE_RECORDS = 32 * 1024

export class PartitionLog {
  readonly topic: string
  readonly partition: number
  private readonly durable: DurablePartition | null
  private readonly retention: RetentionPolicy
  private readonly cacheLimit: number
  private readonly cacheRecordLimit: number
  /** Decoded records from `cacheBase` to `next - 1`; entries before `head` are released. */
  private cache: StoredMessage[] = []
  private head = 0
  private cacheBase: number
  private cacheBytes = 0
  private nextOffset: number
  private earliestOffset: number
  visibleEnd: number

  constructor(
    topic: string,
    partition: number,
    options: {
      durable?: DurablePartition
      retention?: RetentionPolicy
      cacheBytes?: number
      cacheRecords?: number
    } = {},
  ) {
    this.topic = topic
    this.partition = partition
    this.durable = options.durable ?? null
    this.retention = options.retention ?? {}
    this.cacheLimit = options.cacheBytes ?? DEFAULT_CACHE_BYTES
    this.cacheRecordLimit = options.cacheRecords ?? DEFAULT_CACHE_RECORDS
    const start = this.durable ? this.durable.next : 0
    this.nextOffset = start
    this.cacheBase = start
    this.earliestOffset = this.durable ? this.durable.earliest : 0
    this.visibleEnd = start
  }

  get next(): number {
    return this.nextOffset
  }

  get earliest(): number {
    return this.earliestOffset
  }

  /** Damaged ranges of the durable log (none in memory mode). */
  get damaged(): readonly DamagedRange[] {
    return this.durable?.damaged ?? []
  }

  get isDurable(): boolean {
    return this.durable !== null
  }

  /** Assigns offsets and appends (written to disk in one write in file mode). */
  append(records: readonly StoredMessage[]): void {
    let offset = this.nextOffset
    for (let i = 0; i < records.length; i++) records[i]!.offset = offset++
    if (this.durable) {
      try {
        this.durable.append(records)
      } catch (error) {
        for (let i = 0; i < records.length; i++) records[i]!.offset = -1
        // A full disk is a retriable StorageError naming the partition's directory, not a bare Error.
        throw toStorageError(error, this.durable.dir, `append to ${this.topic}/${this.partition}`)
      }
    }
    const cache = this.cache
    let bytes = 0
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      cache.push(record)
      bytes += record.size
    }
    this.cacheBytes += bytes
    this.nextOffset = offset
    if (this.durable) {
      if (this.cacheBytes > this.cacheLimit) this.evictCache(this.cacheBytes - this.cacheLimit)
      const excess = this.cache.length - this.head - this.cacheRecordLimit
      if (excess > 0) this.evictRecords(excess)
    } else if (this.retention.bytes !== undefined && this.cacheBytes > this.retention.bytes) {
      this.evictCache(this.cacheBytes - this.retention.bytes)
      this.earliestOffset = this.cacheBase
    }
  }

  private evictCache(bytes: number): void {
    let freed = 0
    const cache = this.cache
    while (freed < bytes && this.head < cache.length) {
      freed += cache[this.head]!.size
      this.release(this.head)
      this.head++
      this.cacheBase++
    }
    this.cacheBytes -= freed
    this.compactCache()
  }

  /**
   * Clears an evicted slot at once rather than when compactCache() drops it, so the record can die
   * young (see DEFAULT_CACHE_RECORDS); `undefined`, not a hole, keeps the array's fast elements.
   */
  private release(index: number): void {
    ;(this.cache as (StoredMessage | undefined)[])[index] = undefined
  }

  private evictRecords(count: number): void {
    const cache = this.cache
    let freed = 0
    for (let i = this.head; i < this.head + count; i++) {
      freed += cache[i]!.size
      this.release(i)
    }
    this.head += count
    this.cacheBase += count
    this.cacheBytes -= freed
    this.compactCache()
  }

  private compactCache(): void {
    // Dropping released entries is O(n); doing it only once they are half the array keeps appends O(1).
    if (this.head > 1024 && this.head * 2 > this.cache.length) {
      this.cache = this.cache.slice(this.head)
      this.head = 0
    }
  }

  /** Records from `offset` up to `max` of them and below `visibleEnd`. */
  read(offset: number, max: number): StoredMessage[] {
    const end = Math.min(this.visibleEnd, offset + max)
    if (offset >= end) return []
    if (offset >= this.cacheBase) {
      const start = this.head + (offset - this.cacheBase)
      return this.cache.slice(start, start + (end - offset))
    }
    if (this.durable) return this.durable.read(offset, Math.min(end, this.cacheBase) - offset)
    return []
  }

  /** First offset whose timestamp is at or after `timestamp` (timestamps need not be monotonic). */
  offsetForTimestamp(timestamp: number): number {
    if (this.durable) return this.durable.offsetForTimestamp(timestamp)
    for (let i = this.head; i < this.cache.length; i++) {
      if (this.cache[i]!.timestamp >= timestamp) return this.cacheBase + (i - this.head)
    }
    return this.nextOffset
  }

  sync(callback: (error: Error | null) => void): void {
    const durable = this.durable
    if (!durable) return callback(null)
    durable.sync((error) =>
      callback(error && toStorageError(error, durable.dir, `fsync ${this.topic}/${this.partition}`)),
    )
  }

  /** Applies retention by age (and by size for durable logs); returns how many records were dropped. */
  applyRetention(now: number): number {
    const before = this.earliestOffset
    if (this.durable) {
      this.earliestOffset = this.durable.applyRetention(now)
      if (this.cacheBase < this.earliestOffset) this.dropCacheBefore(this.earliestOffset)
    } else if (this.retention.ms !== undefined) {
      const cutoff = now - this.retention.ms
      const cache = this.cache
      let freed = 0
      while (this.head < cache.length && cache[this.head]!.timestamp < cutoff) {
        freed += cache[this.head]!.size
        this.release(this.head)
        this.head++
        this.cacheBase++
      }
      this.cacheBytes -= freed
      this.earliestOffset = this.cacheBase
      this.compactCache()
    }
    return this.earliestOffset - before
  }

  private dropCacheBefore(offset: number): void {
    const cache = this.cache
    while (this.cacheBase < offset && this.head < cache.length) {
      this.cacheBytes -= cache[this.head]!.size
      this.release(this.head)
      this.head++
      this.cacheBase++
    }
    if (this.cacheBase < offset) this.cacheBase = offset
    this.compactCache()
  }

  close(): void {
    this.durable?.close()
    this.cache = []
    this.head = 0
  }
}
