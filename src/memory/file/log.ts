// The durable log of one partition: a directory of segments (segment.ts). Appends go to the last
// segment as record batches (record.ts) in one write per flush; a new segment starts when the last one reaches `segmentBytes`
// (see roll() for how the sealed one reaches the disk). Retention
// deletes whole old segments by total size and by age (a segment goes when its newest record is
// older than the limit), never the last one.

import { Buffer } from 'node:buffer'
import fs from 'node:fs'
import type { DurablePartition } from '../partition-log.ts'
import type { StoredMessage } from '../message.ts'
import { CorruptDataError, MessageTooLargeError } from '../../core/errors.ts'
import { reportDamage } from './damage.ts'
import { toStorageError } from './storage-error.ts'
import type { DamagedRange } from './damage.ts'
import {
  BATCH_HEADER,
  BATCH_TARGET_BYTES,
  MAX_RECORD_BYTES,
  encodeRecord,
  encodedSize,
  sealBatch,
  viewOf,
} from './record.ts'
import { Segment, parseSegmentFileName } from './segment.ts'
import type { SegmentDamageSink } from './segment.ts'

export interface FileLogOptions {
  segmentBytes: number
  retentionBytes?: number
  retentionMs?: number
}

export class FileLog implements DurablePartition {
  readonly dir: string
  readonly topic: string
  readonly partition: number
  private readonly options: FileLogOptions
  private readonly segments: Segment[]
  /** Bytes cut from a torn tail when the log was opened (for diagnostics and tests). */
  readonly recoveredTruncatedBytes: number
  /** Every damaged range found since the log was opened, on open or by reads (damage.ts). */
  readonly damaged: DamagedRange[]
  private readonly sink: SegmentDamageSink
  private syncing = false
  private syncWaiters: ((error: Error | null) => void)[] = []
  private nextSyncWaiters: ((error: Error | null) => void)[] = []
  private closed = false
  /** Written since the last fsync started. */
  private unsynced = false
  /** Background fsyncs of the last roll(s) still running; sync() waits for them. */
  private rollSyncs = 0
  private rollError: Error | null = null
  private rollWaiters: ((error: Error | null) => void)[] = []
  private writeBuffer = Buffer.allocUnsafeSlow(64 * 1024)
  private writeView = viewOf(this.writeBuffer)
  /** (first offset, position in the write, max timestamp) of each batch of the current append. */
  private readonly batchNotes: number[] = []

  private constructor(
    dir: string,
    topic: string,
    partition: number,
    options: FileLogOptions,
    segments: Segment[],
    truncated: number,
    damaged: DamagedRange[],
    sink: SegmentDamageSink,
  ) {
    this.dir = dir
    this.topic = topic
    this.partition = partition
    this.options = options
    this.segments = segments
    this.recoveredTruncatedBytes = truncated
    this.damaged = damaged
    this.sink = sink
  }

  static open(dir: string, topic: string, partition: number, options: FileLogOptions): FileLog {
    fs.mkdirSync(dir, { recursive: true })
    const bases = fs
      .readdirSync(dir)
      .map(parseSegmentFileName)
      .filter((b): b is number => b !== null)
      .sort((a, b) => a - b)
    const damaged: DamagedRange[] = []
    const sink = damageSink(topic, partition, damaged)
    const segments: Segment[] = []
    let truncated = 0
    if (bases.length === 0) {
      segments.push(Segment.create(dir, 0, sink))
    } else {
      for (let i = 0; i < bases.length; i++) {
        const last = i === bases.length - 1
        const opened = Segment.open(dir, bases[i]!, { last, nextBase: last ? null : bases[i + 1]!, sink })
        segments.push(opened.segment)
        truncated += opened.truncatedBytes
      }
    }
    return new FileLog(dir, topic, partition, options, segments, truncated, damaged, sink)
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!
  }

  get earliest(): number {
    return this.segments[0]!.base
  }

  get next(): number {
    return this.active.next
  }

  /**
   * Encodes the records as batches of about BATCH_TARGET_BYTES (usually one: a flush's records for
   * this partition) into one reused buffer, and writes them with one write.
   */
  append(records: readonly StoredMessage[]): void {
    const count = records.length
    let total = 0
    for (let i = 0; i < count; i++) {
      const size = encodedSize(records[i]!)
      if (size > MAX_RECORD_BYTES) throw new MessageTooLargeError(size, MAX_RECORD_BYTES)
      total += size
    }
    // Every batch but the last holds at least BATCH_TARGET_BYTES - BATCH_HEADER bytes of records.
    total += BATCH_HEADER * (1 + Math.ceil(total / (BATCH_TARGET_BYTES - BATCH_HEADER)))
    if (this.active.size > 0 && this.active.size + total > this.options.segmentBytes) this.roll()
    const segment = this.active
    if (this.writeBuffer.length < total) {
      this.writeBuffer = Buffer.allocUnsafeSlow(Math.max(total, this.writeBuffer.length * 2))
      this.writeView = viewOf(this.writeBuffer)
    }
    const buffer = this.writeBuffer
    const view = this.writeView
    const first = segment.next
    const batches = this.batchNotes
    batches.length = 0
    let batchStart = 0
    let batchFirst = 0
    let maxTimestamp = -Infinity
    let position = BATCH_HEADER
    for (let i = 0; i < count; i++) {
      const record = records[i]!
      if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp
      position = encodeRecord(buffer, position, record, view)
      if (position - batchStart >= BATCH_TARGET_BYTES || i === count - 1) {
        batches.push(first + batchFirst, batchStart, maxTimestamp)
        sealBatch(
          buffer,
          batchStart,
          position,
          first + batchFirst - segment.base,
          i + 1 - batchFirst,
          maxTimestamp,
        )
        batchStart = position
        batchFirst = i + 1
        maxTimestamp = -Infinity
        position += BATCH_HEADER
      }
    }
    segment.write(buffer.subarray(0, batchStart), count, batches)
    this.unsynced = true
  }

  /**
   * Seals the active segment and starts a new one. Both fsyncs a roll needs — the sealed segment's
   * data and the directory entry of the new file — run in the background (a blocking directory
   * fsync stalled the append path for tens of milliseconds per roll: on ext4 it waits for a journal
   * commit), and the next sync() waits for them too, so with fsync 'always' nothing written to the
   * new segment is acknowledged before its file is durably in the directory and everything before
   * it is on disk. A kill -9 cannot lose page-cache data either way, and after a power cut recovery
   * validates the bytes past each segment's last index entry (segment.ts), so a torn sealed tail is
   * found and cut as well.
   */
  private roll(): void {
    const old = this.active
    this.segments.push(Segment.create(this.dir, old.next, this.sink))
    this.rollSyncs += 2
    old.sync(this.rollSynced)
    // Some platforms cannot fsync a directory; the file contents are synced regardless.
    syncDirectoryInBackground(this.dir, () => this.rollSynced(null))
  }

  private readonly rollSynced = (error: Error | null): void => {
    if (error && !this.rollError) this.rollError = error
    if (--this.rollSyncs > 0) return
    const waiters = this.rollWaiters
    const failure = this.rollError
    this.rollWaiters = []
    this.rollError = null
    for (const waiter of waiters) waiter(failure)
  }

  /**
   * Up to `max` records from `offset`, consecutive: a read stops before a damaged range, and one
   * that starts in one throws its CorruptDataError (the consumer decides whether to skip it).
   */
  read(offset: number, max: number): StoredMessage[] {
    const out: StoredMessage[] = []
    let at = Math.max(offset, this.earliest)
    let index = this.segmentIndexFor(at)
    while (out.length < max && index < this.segments.length) {
      const segment = this.segments[index]!
      const wanted = max - out.length
      let records: StoredMessage[]
      try {
        records = segment.read(at, wanted, this.topic, this.partition)
      } catch (error) {
        if (out.length > 0 && error instanceof CorruptDataError) break // reported by the next read
        throw toStorageError(error, segment.logPath, 'read the segment') // OS errors; ours pass through
      }
      for (const r of records) out.push(r)
      // Fewer than wanted before the segment's end: it stopped at a damaged range.
      if (
        records.length < wanted &&
        records.length > 0 &&
        records[records.length - 1]!.offset + 1 < segment.next
      )
        break
      at = segment.next
      index++
    }
    return out
  }

  private segmentIndexFor(offset: number): number {
    let lo = 0
    let hi = this.segments.length - 1
    let found = 0
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.segments[mid]!.base <= offset) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }

  offsetForTimestamp(timestamp: number): number {
    for (const segment of this.segments) {
      const found = segment.findTimestamp(timestamp)
      if (found !== null) return found
    }
    return this.next
  }

  /**
   * Group commit: an fsync already running covers only what was written before it started, so
   * callers arriving meanwhile wait for the next one, which then covers all of them at once.
   */
  sync(callback: (error: Error | null) => void): void {
    if (this.closed) {
      callback(null)
      return
    }
    if (this.syncing) {
      this.nextSyncWaiters.push(callback)
      return
    }
    if (!this.unsynced && this.rollSyncs === 0) {
      // Nothing written since the last fsync finished (an idle partition on the interval timer).
      callback(null)
      return
    }
    this.syncing = true
    this.syncWaiters.push(callback)
    // The active segment's fdatasync, and the fsyncs of a roll still running (see roll()).
    let pending = (this.unsynced ? 1 : 0) + (this.rollSyncs > 0 ? 1 : 0)
    let failure: Error | null = null
    const done = (error: Error | null): void => {
      if (error && !failure) failure = error
      if (--pending > 0) return
      const waiters = this.syncWaiters
      this.syncWaiters = this.nextSyncWaiters
      this.nextSyncWaiters = []
      this.syncing = false
      for (const waiter of waiters) waiter(failure)
      if (this.syncWaiters.length > 0) {
        const queued = this.syncWaiters
        this.syncWaiters = []
        // One fsync for all of them: re-queued one by one, the first started its own and the rest
        // waited for the next, so fsync=always made one fsync per flush.
        this.sync((error) => {
          for (const waiter of queued) waiter(error)
        })
      }
    }
    if (this.rollSyncs > 0) this.rollWaiters.push(done)
    if (this.unsynced) {
      this.unsynced = false
      this.active.sync(done)
    }
  }

  /** Deletes old segments beyond the size and age limits; returns the earliest offset left. */
  applyRetention(now: number): number {
    const { retentionBytes, retentionMs } = this.options
    if (retentionBytes === undefined && retentionMs === undefined) return this.earliest
    let total = 0
    for (const s of this.segments) total += s.size
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!
      const tooBig = retentionBytes !== undefined && total > retentionBytes
      const tooOld = retentionMs !== undefined && oldest.maxTimestamp < now - retentionMs
      if (!tooBig && !tooOld) break
      total -= oldest.size
      oldest.delete()
      this.segments.shift()
      // Its damaged ranges went with it.
      for (let i = this.damaged.length - 1; i >= 0; i--) {
        if (this.damaged[i]!.file === oldest.logPath) this.damaged.splice(i, 1)
      }
    }
    return this.earliest
  }

  /** Bytes on disk, for tests and describe. */
  get sizeBytes(): number {
    let total = 0
    for (const s of this.segments) total += s.size
    return total
  }

  get segmentCount(): number {
    return this.segments.length
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      if (this.rollSyncs > 0) {
        // A roll's background fsyncs are still queued or running: finish their work here, so
        // everything is durable when close() returns whatever becomes of them.
        for (const s of this.segments) s.syncNow()
        syncDirectory(this.dir)
      } else {
        this.active.syncNow()
      }
    } finally {
      for (const s of this.segments) s.close()
    }
  }
}

/** syncDirectory() on the thread pool; calls back once done, ignoring failures as it does. */
function syncDirectoryInBackground(dir: string, callback: () => void): void {
  fs.open(dir, 'r', (openError, fd) => {
    if (openError) {
      callback()
      return
    }
    fs.fsync(fd, () => fs.close(fd, () => callback()))
  })
}

/** Makes a created or renamed file's directory entry durable too. */
export function syncDirectory(dir: string): void {
  let fd: number | undefined
  try {
    fd = fs.openSync(dir, 'r')
    fs.fsyncSync(fd)
  } catch {
    // Some platforms cannot fsync a directory; the file contents are synced regardless.
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/** Records a segment's findings for describeTopic and publishes them on `conduit:storage:damage`. */
function damageSink(topic: string, partition: number, damaged: DamagedRange[]): SegmentDamageSink {
  return {
    damaged(range) {
      damaged.push(range)
      reportDamage({
        kind: range.kind,
        file: range.file,
        topic,
        partition,
        from: range.from,
        to: range.to,
        bytes: range.bytes,
        reason: range.reason,
      })
    },
    indexRebuilt(file, reason) {
      reportDamage({ kind: 'index-rebuilt', file, topic, partition, reason })
    },
  }
}
