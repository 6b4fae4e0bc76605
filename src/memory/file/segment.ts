// One segment of a partition's durable log: `<base offset, 20 digits>.log` holding record batches
// (record.ts) and a sparse `.index` of 16-byte entries, each at a batch boundary
//
//   entry = offsetDelta:u32le  position:u32le  maxTimestamp:f64le (largest timestamp before `position`)
//
// written when a batch starts at least INDEX_INTERVAL bytes after the previous entry, so a read
// seeks near its offset instead of scanning the whole segment. Only the active (last) segment is
// ever written.
//
// What recovery trusts: only the log. Each batch carries its own first offset and a CRC-32; the
// index is a hint, checked against the batch it points to and rebuilt from the log when they
// disagree. On open, the last segment is validated batch by batch; older ones from their last index
// entry on (their earlier bytes were validated when they were written, and reads check every batch
// again). Damage is never cut silently:
// - bytes that fail their checks with intact batches after them are kept in place as a damaged
//   range (the offsets they held, found by resynchronising on the next intact batch); reads stop
//   there and raise a CorruptDataError naming the range, which a consumer may skip;
// - only the tail of the last segment, with no intact batch after it, is cut: that is what a torn
//   write leaves. Each range is reported (damage.ts).

import { Buffer } from 'node:buffer'
import fs from 'node:fs'
import path from 'node:path'
import { channels, publish } from '../../core/diagnostics.ts'
import { ProtocolError } from '../../core/errors.ts'
import { toStorageError } from './storage-error.ts'
import type { StoredMessage } from '../message.ts'
import { BatchReader, findNextBatch } from './batch-reader.ts'
import { damagedRangeError } from './damage.ts'
import type { DamagedRange } from './damage.ts'
import {
  MAX_BATCH_BYTES,
  RECORD_FIXED,
  decodeRecord,
  firstRecord,
  nextRecord,
  recordTimestamp,
} from './record.ts'
import type { BatchCheck } from './record.ts'

/** Where a segment reports what it found; the partition's log records and publishes it. */
export interface SegmentDamageSink {
  damaged(range: DamagedRange): void
  indexRebuilt(file: string, reason: string): void
}

export const INDEX_INTERVAL = 4096
const INDEX_ENTRY = 16

export function segmentFileName(base: number): string {
  return `${String(base).padStart(20, '0')}.log`
}

export function parseSegmentFileName(name: string): number | null {
  const match = /^(\d{20})\.log$/.exec(name)
  return match ? Number(match[1]) : null
}

export interface SegmentOpenOptions {
  /** The last (active) segment: validated whole, and its torn tail cut. */
  last: boolean
  /** Base offset of the next segment, where this one must end; null for the last one. */
  nextBase: number | null
  sink: SegmentDamageSink
}

export class Segment {
  readonly base: number
  readonly logPath: string
  readonly indexPath: string
  fd: number
  private indexFd: number
  size = 0
  /** Offset after the last record. */
  next: number
  maxTimestamp = -Infinity
  private indexOffsets: number[] = []
  private indexPositions: number[] = []
  private lastIndexed = -INDEX_INTERVAL
  private pendingIndex: Buffer[] = []
  /** Damaged ranges kept in place, by byte position; null while there are none (the hot path). */
  private damageAt: Map<number, DamagedRange> | null = null
  private readonly sink: SegmentDamageSink
  private syncsRunning = 0
  private closing = false

  private constructor(
    base: number,
    logPath: string,
    indexPath: string,
    fd: number,
    indexFd: number,
    sink: SegmentDamageSink,
  ) {
    this.base = base
    this.next = base
    this.logPath = logPath
    this.indexPath = indexPath
    this.fd = fd
    this.indexFd = indexFd
    this.sink = sink
  }

  static create(dir: string, base: number, sink: SegmentDamageSink): Segment {
    const logPath = path.join(dir, segmentFileName(base))
    const indexPath = logPath.replace(/\.log$/, '.index')
    const fd = fs.openSync(logPath, 'wx+')
    const indexFd = fs.openSync(indexPath, 'w+')
    return new Segment(base, logPath, indexPath, fd, indexFd, sink)
  }

  /** Opens an existing segment, validating it as the header comment says; returns bytes cut. */
  static open(
    dir: string,
    base: number,
    options: SegmentOpenOptions,
  ): { segment: Segment; truncatedBytes: number } {
    const logPath = path.join(dir, segmentFileName(base))
    const indexPath = logPath.replace(/\.log$/, '.index')
    const fd = fs.openSync(logPath, 'r+')
    const indexFd = fs.openSync(indexPath, fs.existsSync(indexPath) ? 'r+' : 'w+')
    const segment = new Segment(base, logPath, indexPath, fd, indexFd, options.sink)
    const fileSize = fs.fstatSync(fd).size
    segment.size = fileSize
    let scanFrom = 0
    if (!options.last && fileSize > 0) {
      const problem = segment.loadIndex(fileSize)
      if (problem === null) scanFrom = segment.indexPositions[segment.indexPositions.length - 1]!
      else options.sink.indexRebuilt(indexPath, problem)
    }
    // The last segment's old index is rebuilt, but first read as evidence of how far the log went.
    const indexed = options.last ? segment.readIndexEntries() : []
    if (scanFrom === 0) segment.resetIndex()
    const limit = options.nextBase ?? Infinity
    const validEnd = segment.scan(scanFrom, fileSize, limit)
    let truncatedBytes = 0
    if (options.last) {
      if (validEnd < fileSize) {
        // A tail with no intact batch after it: what a torn write leaves. Cut, and reported.
        truncatedBytes = fileSize - validEnd
        options.sink.damaged({
          kind: 'truncated',
          file: logPath,
          from: segment.next,
          to: null,
          position: validEnd,
          bytes: truncatedBytes,
          reason: segment.describe(validEnd, fileSize),
        })
        fs.ftruncateSync(fd, validEnd)
        fs.fsyncSync(fd)
        segment.size = validEnd
      } else {
        // Cut exactly at a batch boundary, which the log alone cannot tell from a shorter log; the
        // old index tells when it holds exactly the entries the scan rebuilt (the rule that places
        // them depends on the bytes only) and then one more, for bytes the file no longer has.
        const rebuilt = segment.indexPositions.length
        const agrees = indexed
          .slice(0, rebuilt)
          .every((e, i) => e.position === segment.indexPositions[i] && e.offset === segment.indexOffsets[i])
        const beyond = agrees ? indexed[rebuilt] : undefined
        if (beyond !== undefined && beyond.position >= validEnd && beyond.offset >= segment.next) {
          options.sink.damaged({
            kind: 'truncated',
            file: logPath,
            from: segment.next,
            to: null,
            position: validEnd,
            bytes: 0,
            reason: `the index names offset ${beyond.offset} at byte ${beyond.position}, past the end of the log: the file was cut`,
          })
        }
      }
    } else if (validEnd < fileSize || segment.next < limit) {
      // An older segment is never written again: its damaged tail stays, as a range reads stop at.
      segment.addDamage({
        kind: 'damaged',
        file: logPath,
        from: segment.next,
        to: Math.max(limit, segment.next),
        position: validEnd,
        bytes: fileSize - validEnd,
        reason:
          validEnd < fileSize
            ? segment.describe(validEnd, fileSize)
            : `the segment ends at offset ${segment.next}, the next one starts at ${limit}`,
      })
      segment.next = Math.max(limit, segment.next)
    }
    segment.writeIndexOrReport()
    return { segment, truncatedBytes }
  }

  /**
   * Loads the index; returns why it cannot be used, or null. It is usable when its entries increase,
   * lie inside the file, and the batch at its last entry is the one the entry names (recovery scans
   * on from there; a wrong entry would otherwise make it cut valid data).
   */
  private loadIndex(fileSize: number): string | null {
    const bytes = fs.readFileSync(this.indexPath)
    const count = Math.floor(bytes.length / INDEX_ENTRY)
    if (count === 0) return 'the index is missing or empty'
    let previousOffset = -1
    let previousPosition = -1
    let maxTimestamp = -Infinity
    for (let i = 0; i < count; i++) {
      const delta = bytes.readUInt32LE(i * INDEX_ENTRY)
      const position = bytes.readUInt32LE(i * INDEX_ENTRY + 4)
      const ts = bytes.readDoubleLE(i * INDEX_ENTRY + 8)
      if (i === 0 && (delta !== 0 || position !== 0)) {
        return `the first index entry names offset ${this.base + delta} at byte ${position}, not the segment's start`
      }
      if (delta <= previousOffset || position <= previousPosition || position >= fileSize) {
        return `index entry ${i} (offset ${this.base + delta} at byte ${position}) is out of order or past the end`
      }
      previousOffset = delta
      previousPosition = position
      this.indexOffsets.push(this.base + delta)
      this.indexPositions.push(position)
      if (ts > maxTimestamp) maxTimestamp = ts
    }
    const check = new BatchReader(this.fd, fileSize).check(previousPosition)
    if (check.kind !== 'batch' || check.offsetDelta !== previousOffset) {
      return `the last index entry names offset ${this.base + previousOffset} at byte ${previousPosition}, which the log does not hold there`
    }
    if (bytes.length !== count * INDEX_ENTRY) fs.ftruncateSync(this.indexFd, count * INDEX_ENTRY)
    this.maxTimestamp = maxTimestamp
    this.lastIndexed = previousPosition
    this.next = this.indexOffsets[count - 1]!
    return null
  }

  /**
   * The entries of the index file while they look like an index: the first at offset 0 and byte 0,
   * then each one INDEX_INTERVAL to INDEX_INTERVAL plus a batch further, and by no more offsets than
   * those bytes can hold — so a damaged entry or appended garbage does not count as evidence of a
   * longer log.
   */
  private readIndexEntries(): { offset: number; position: number }[] {
    let bytes: Buffer
    try {
      bytes = fs.readFileSync(this.indexPath)
    } catch {
      return []
    }
    const entries: { offset: number; position: number }[] = []
    let previousDelta = 0
    let previousPosition = 0
    for (let at = 0; at + INDEX_ENTRY <= bytes.length; at += INDEX_ENTRY) {
      const delta = bytes.readUInt32LE(at)
      const position = bytes.readUInt32LE(at + 4)
      const plausible =
        at === 0
          ? delta === 0 && position === 0
          : delta > previousDelta &&
            position - previousPosition >= INDEX_INTERVAL &&
            position - previousPosition <= INDEX_INTERVAL + MAX_BATCH_BYTES &&
            delta - previousDelta <= (position - previousPosition) / RECORD_FIXED
      if (!plausible) break
      entries.push({ offset: this.base + delta, position })
      previousDelta = delta
      previousPosition = position
    }
    return entries
  }

  private resetIndex(): void {
    fs.ftruncateSync(this.indexFd, 0)
    this.indexOffsets = []
    this.indexPositions = []
    this.pendingIndex = []
    this.lastIndexed = -INDEX_INTERVAL
    this.next = this.base
  }

  /**
   * Validates batches from `from` on, updating next/maxTimestamp/index. A batch that fails its
   * checks or does not hold the offsets due next starts a damaged range, which ends at the next
   * intact batch that can follow (batch-reader.ts); with none, the scan stops. Returns where it
   * stopped: the end of the valid data.
   */
  private scan(from: number, fileSize: number, limit: number): number {
    const reader = new BatchReader(this.fd, fileSize)
    let position = from
    while (position < fileSize) {
      const known = this.damageAt?.get(position)
      if (known !== undefined && known.to !== null && known.bytes > 0) {
        position += known.bytes
        this.next = known.to
        continue
      }
      const check = reader.check(position)
      if (check.kind === 'batch' && this.base + check.offsetDelta === this.next) {
        this.noteBatch(this.next, position, check.maxTimestamp)
        this.next += check.count
        position += check.length
        continue
      }
      const found = this.resync(position, check, fileSize, this.next, limit)
      if (found === null) break
      this.next = found.base
      position = found.position
    }
    return position
  }

  /**
   * Finds the intact batch after damage at `position` (where offset `expected` was due) and records
   * the range up to it as damaged; null when there is none before `end`.
   */
  private resync(
    position: number,
    check: BatchCheck,
    end: number,
    expected: number,
    limit: number,
  ): { position: number; base: number } | null {
    // An intact batch holding later offsets than due is itself where the (byteless) range ends.
    const found =
      check.kind === 'batch' && this.base + check.offsetDelta > expected
        ? { position, base: this.base + check.offsetDelta }
        : findNextBatch(this.fd, end, this.base, position + 1, position, expected, limit)
    if (found === null) return null
    this.addDamage({
      kind: 'damaged',
      file: this.logPath,
      from: expected,
      to: found.base,
      position,
      bytes: found.position - position,
      reason: reasonOf(check, this.base, expected),
    })
    return found
  }

  private addDamage(range: DamagedRange): void {
    this.damageAt ??= new Map()
    if (this.damageAt.has(range.position)) return
    this.damageAt.set(range.position, range)
    this.sink.damaged(range)
  }

  /** Why the bytes at `position` are not the batch due there, for a report. */
  private describe(position: number, end: number): string {
    return reasonOf(new BatchReader(this.fd, end).check(position), this.base, this.next)
  }

  /** Adds an index entry when the batch starts far enough from the previous one. */
  noteBatch(offset: number, position: number, maxTimestamp: number): void {
    if (position - this.lastIndexed >= INDEX_INTERVAL) {
      const entry = Buffer.allocUnsafe(INDEX_ENTRY)
      entry.writeUInt32LE(offset - this.base, 0)
      entry.writeUInt32LE(position, 4)
      entry.writeDoubleLE(this.maxTimestamp === -Infinity ? 0 : this.maxTimestamp, 8)
      this.pendingIndex.push(entry)
      this.indexOffsets.push(offset)
      this.indexPositions.push(position)
      this.lastIndexed = position
    }
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp
  }

  /**
   * Appends encoded batches holding `records` records; `batches` holds (first offset, position in
   * `buffer`, max timestamp) per batch. The index learns of them only once the write succeeded, so
   * a failed write leaves neither bytes nor index entries behind.
   */
  write(buffer: Buffer, records: number, batches: readonly number[]): void {
    let written = 0
    try {
      while (written < buffer.length) {
        written += fs.writeSync(this.fd, buffer, written, buffer.length - written, this.size + written)
      }
    } catch (error) {
      // Leave no partial batch behind: the same bytes will not be acknowledged.
      try {
        fs.ftruncateSync(this.fd, this.size)
      } catch {
        // recovery truncates the torn batch on the next open
      }
      throw error
    }
    for (let i = 0; i < batches.length; i += 3) {
      this.noteBatch(batches[i]!, this.size + batches[i + 1]!, batches[i + 2]!)
    }
    this.size += buffer.length
    this.next += records
    // The records are written: an index entry that cannot be (disk full) stays pending and goes out
    // with the next batch, rather than failing a send whose records a restart would then still find.
    this.writeIndexOrReport()
  }

  /** writeIndex(), with a failure reported (conduit:error) instead of thrown: see writeIndex. */
  private writeIndexOrReport(): void {
    try {
      this.writeIndex()
    } catch (error) {
      publish(channels.backgroundError, () => ({
        driver: 'memory',
        operation: `write ${this.indexPath}`,
        action: 'retried with the next append; recovery rebuilds a short index',
        error: toStorageError(error, this.indexPath, 'write the index'),
      }))
    }
  }

  /**
   * The index is a hint rebuilt on recovery, so it is written but never fsynced on the hot path,
   * and a failed write of it must not fail the append whose data is already written (the caller
   * would take back offsets the log has assigned): its entries stay pending and go out with the
   * next write, and recovery checks the index against the log anyway.
   */
  private writeIndex(): void {
    if (this.pendingIndex.length === 0) return
    const bytes = this.pendingIndex.length === 1 ? this.pendingIndex[0]! : Buffer.concat(this.pendingIndex)
    const at = (this.indexPositions.length - bytes.length / INDEX_ENTRY) * INDEX_ENTRY
    const written = fs.writeSync(this.indexFd, bytes, 0, bytes.length, at)
    if (written !== bytes.length) {
      throw new Error(
        `short write: ${written} of ${bytes.length} bytes of index entries (the disk may be full)`,
      )
    }
    this.pendingIndex = [] // only once written whole: a failed write is retried whole, at the same place
  }

  /** Index entry (a batch boundary) at or before the offset: its position and offset. */
  private seekIndex(offset: number): { position: number; current: number } {
    let lo = 0
    let hi = this.indexOffsets.length - 1
    let position = 0
    let current = this.base
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.indexOffsets[mid]! <= offset) {
        position = this.indexPositions[mid]!
        current = this.indexOffsets[mid]!
        lo = mid + 1
      } else hi = mid - 1
    }
    return { position, current }
  }

  /**
   * Records from `offset` (>= base), at most `max` of them and not past this segment. Each batch's
   * own first offset is checked against the one due, so a wrong index entry can never label a
   * record with another's offset. Stops before a damaged range once it has records; a read that
   * starts in one throws its CorruptDataError.
   */
  read(offset: number, max: number, topic: string, partition: number, reindexed = false): StoredMessage[] {
    const out: StoredMessage[] = []
    if (offset >= this.next || max <= 0) return out
    let { position, current } = this.seekIndex(offset)
    // Whether the batch at `position` is known to hold `current`: only the segment's base at byte 0
    // is known without the index.
    let trusted = position === 0 && current === this.base
    const reader = new BatchReader(this.fd, this.size)
    let jumped = false
    while (out.length < max) {
      if (this.damageAt !== null && !jumped) {
        const damage = this.damageAt.get(position)
        if (damage !== undefined && damage.to !== null) {
          if (out.length > 0) break
          if (offset < damage.to) throw damagedRangeError(damage, topic, partition)
          position += damage.bytes
          current = damage.to
          jumped = true
          continue
        }
      }
      jumped = false
      if (position >= this.size || current >= this.next) break
      const check = reader.check(position)
      if (check.kind !== 'batch' || this.base + check.offsetDelta !== current) {
        if (!trusted && !reindexed) {
          // The index entry we started from disagrees with the log: rebuild it, then read again.
          this.rebuildIndex(`index entry for offset ${current} at byte ${position} disagrees with the log`)
          return this.read(offset, max, topic, partition, true)
        }
        this.resync(position, check, this.size, current, this.next) ??
          this.addDamage({
            kind: 'damaged',
            file: this.logPath,
            from: current,
            to: this.next,
            position,
            bytes: this.size - position,
            reason: reasonOf(check, this.base, current),
          })
        continue
      }
      trusted = true
      if (current + check.count > offset) {
        // Step over the records before `offset` by their lengths; decode only the wanted ones.
        const chunk = reader.chunk
        const view = reader.view
        let p = firstRecord(position - reader.chunkStart)
        for (let i = 0; i < check.count && out.length < max; i++, current++) {
          if (current >= offset) out.push(decodeRecord(chunk, p, topic, partition, current, view))
          p = nextRecord(chunk, p, view)
        }
        current = this.base + check.offsetDelta + check.count
      } else {
        current += check.count
      }
      position += check.length
    }
    if (out.length === 0 && offset < this.next) {
      // Offsets this segment should hold but no bytes do: report them like any damaged range.
      const range: DamagedRange = {
        kind: 'damaged',
        file: this.logPath,
        from: current,
        to: this.next,
        position: this.size,
        bytes: 0,
        reason: `the segment's bytes end before offset ${this.next}`,
      }
      this.addDamage(range)
      throw damagedRangeError(this.damageAt?.get(this.size) ?? range, topic, partition)
    }
    return out
  }

  /** Rebuilds the index from the log, when a read found an entry that disagrees with it. */
  private rebuildIndex(reason: string): void {
    const next = this.next
    this.resetIndex()
    this.scan(0, this.size, next)
    this.next = next
    this.writeIndexOrReport()
    this.sink.indexRebuilt(this.indexPath, reason)
  }

  /** First offset in this segment with a timestamp at or after `timestamp`, or null. */
  findTimestamp(timestamp: number): number | null {
    if (this.maxTimestamp < timestamp) return null
    const reader = new BatchReader(this.fd, this.size)
    let position = 0
    let offset = this.base
    while (position < this.size) {
      const damage = this.damageAt?.get(position)
      if (damage !== undefined && damage.to !== null && damage.bytes > 0) {
        position += damage.bytes
        offset = damage.to
        continue
      }
      const check = reader.check(position)
      if (check.kind !== 'batch') return null
      if (check.maxTimestamp >= timestamp) {
        let p = firstRecord(position - reader.chunkStart)
        for (let i = 0; i < check.count; i++) {
          if (recordTimestamp(reader.chunk, p) >= timestamp) return offset + i
          p = nextRecord(reader.chunk, p)
        }
      }
      offset += check.count
      position += check.length
    }
    return null
  }

  /**
   * fdatasync on the thread pool. close() waits for it before closing the descriptor, so that a
   * queued fsync can never run on a closed — or by then reused — descriptor number.
   */
  sync(callback: (error: Error | null) => void): void {
    this.syncsRunning++
    fs.fdatasync(this.fd, (error) => {
      if (--this.syncsRunning === 0 && this.closing) this.closeNow()
      callback(error)
    })
  }

  syncNow(): void {
    fs.fdatasyncSync(this.fd)
  }

  close(): void {
    if (this.closing) return
    this.closing = true
    if (this.syncsRunning === 0) this.closeNow()
  }

  private closeNow(): void {
    fs.closeSync(this.fd)
    fs.closeSync(this.indexFd)
  }

  delete(): void {
    this.close()
    fs.rmSync(this.logPath, { force: true })
    fs.rmSync(this.indexPath, { force: true })
  }
}

/** Why a batch check failed, or why an intact batch is not the one due, in words. */
function reasonOf(check: BatchCheck, base: number, expected: number): string {
  if (check.kind === 'corrupt') return check.reason
  if (check.kind === 'incomplete') return 'a batch runs past the end of the file'
  return `a batch holds offsets from ${base + check.offsetDelta} where ${expected} was due`
}
