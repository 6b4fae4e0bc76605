// One segment of a partition's durable log: `<base offset, 20 digits>.log` holding record batches
// (record.ts) and a sparse `.index` of 16-byte entries, each at a batch boundary
//
//   entry = offsetDelta:u32le  position:u32le  maxTimestamp:f64le (largest timestamp before `position`)
//
// written when a batch starts at least INDEX_INTERVAL bytes after the previous entry, so a read
// seeks near its offset instead of scanning the whole segment. Only the active (last) segment is
// ever written. On open, the last segment is validated batch by batch; older ones from their last
// index entry on (their index is a hint: a missing or inconsistent one is rebuilt by a full scan).
// Whatever fails validation is truncated, from the first damaged batch on.

import { Buffer } from 'node:buffer'
import fs from 'node:fs'
import path from 'node:path'
import { channels, publish } from '../../core/diagnostics.ts'
import { ProtocolError } from '../../core/errors.ts'
import type { StoredMessage } from '../message.ts'
import { toStorageError } from './storage-error.ts'
import { checkBatch, decodeRecord, firstRecord, nextRecord, recordTimestamp, viewOf } from './record.ts'
import type { BatchCheck } from './record.ts'

export const INDEX_INTERVAL = 4096
const INDEX_ENTRY = 16
const READ_CHUNK = 256 * 1024

export function segmentFileName(base: number): string {
  return `${String(base).padStart(20, '0')}.log`
}

export function parseSegmentFileName(name: string): number | null {
  const match = /^(\d{20})\.log$/.exec(name)
  return match ? Number(match[1]) : null
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
  private syncsRunning = 0
  private closing = false

  private constructor(base: number, logPath: string, indexPath: string, fd: number, indexFd: number) {
    this.base = base
    this.next = base
    this.logPath = logPath
    this.indexPath = indexPath
    this.fd = fd
    this.indexFd = indexFd
  }

  static create(dir: string, base: number): Segment {
    const logPath = path.join(dir, segmentFileName(base))
    const indexPath = logPath.replace(/\.log$/, '.index')
    const fd = fs.openSync(logPath, 'wx+')
    const indexFd = fs.openSync(indexPath, 'w+')
    return new Segment(base, logPath, indexPath, fd, indexFd)
  }

  /**
   * Opens an existing segment. The last one is scanned batch by batch and truncated at the first
   * torn or corrupt batch (what a kill -9 mid-write leaves); its index is rebuilt. Older segments
   * trust their index and scan only the bytes after its last entry.
   */
  static open(dir: string, base: number, last: boolean): { segment: Segment; truncatedBytes: number } {
    const logPath = path.join(dir, segmentFileName(base))
    const indexPath = logPath.replace(/\.log$/, '.index')
    const fd = fs.openSync(logPath, 'r+')
    const indexFd = fs.openSync(indexPath, fs.existsSync(indexPath) ? 'r+' : 'w+')
    const segment = new Segment(base, logPath, indexPath, fd, indexFd)
    const fileSize = fs.fstatSync(fd).size
    let scanFrom = 0
    if (!last) scanFrom = segment.loadIndex(fileSize)
    if (scanFrom === 0) {
      fs.ftruncateSync(indexFd, 0)
      segment.indexOffsets = []
      segment.indexPositions = []
      segment.lastIndexed = -INDEX_INTERVAL
    }
    const validEnd = segment.scan(scanFrom, fileSize)
    let truncatedBytes = 0
    if (validEnd < fileSize) {
      truncatedBytes = fileSize - validEnd
      fs.ftruncateSync(fd, validEnd)
      fs.fsyncSync(fd)
    }
    segment.size = validEnd
    segment.writeIndex()
    return { segment, truncatedBytes }
  }

  /** Loads the index; returns the position to scan from (0 when the index is unusable). */
  private loadIndex(fileSize: number): number {
    const bytes = fs.readFileSync(this.indexPath)
    const count = Math.floor(bytes.length / INDEX_ENTRY)
    let previousOffset = -1
    let previousPosition = -1
    let maxTimestamp = -Infinity
    for (let i = 0; i < count; i++) {
      const delta = bytes.readUInt32LE(i * INDEX_ENTRY)
      const position = bytes.readUInt32LE(i * INDEX_ENTRY + 4)
      const ts = bytes.readDoubleLE(i * INDEX_ENTRY + 8)
      if (delta <= previousOffset || position <= previousPosition || position >= fileSize) return 0
      previousOffset = delta
      previousPosition = position
      this.indexOffsets.push(this.base + delta)
      this.indexPositions.push(position)
      if (ts > maxTimestamp) maxTimestamp = ts
    }
    if (count === 0) return 0
    if (bytes.length !== count * INDEX_ENTRY) fs.ftruncateSync(this.indexFd, count * INDEX_ENTRY)
    this.maxTimestamp = maxTimestamp
    this.lastIndexed = previousPosition
    this.next = this.indexOffsets[count - 1]!
    return previousPosition
  }

  /** Validates batches from `from` on, updating next/maxTimestamp/index; returns the valid end. */
  private scan(from: number, fileSize: number): number {
    const reader = new BatchReader(this.fd, fileSize)
    let position = from
    while (position < fileSize) {
      const check = reader.check(position)
      if (check.kind !== 'batch') break // torn tail (incomplete at end of file) or corrupt
      if (this.base + check.offsetDelta !== this.next) break // not the batch that must come next
      this.noteBatch(this.next, position, check.maxTimestamp)
      this.next += check.count
      position += check.length
    }
    return position
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

  /** The index is a hint rebuilt on recovery, so it is written but never fsynced on the hot path. */
  private writeIndex(): void {
    if (this.pendingIndex.length === 0) return
    const bytes = Buffer.concat(this.pendingIndex)
    const at = (this.indexPositions.length - bytes.length / INDEX_ENTRY) * INDEX_ENTRY
    fs.writeSync(this.indexFd, bytes, 0, bytes.length, at)
    this.pendingIndex = [] // only once written: a failed write is retried whole, at the same place
  }

  /** Records from `offset` (>= base), at most `max` of them and not past this segment. */
  read(offset: number, max: number, topic: string, partition: number): StoredMessage[] {
    const out: StoredMessage[] = []
    if (offset >= this.next || max <= 0) return out
    // Last index entry (a batch boundary) at or before the offset.
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
    const reader = new BatchReader(this.fd, this.size)
    while (out.length < max && position < this.size) {
      const check = reader.check(position)
      if (check.kind !== 'batch') throw this.damaged(position, check)
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
    return out
  }

  private damaged(position: number, check: BatchCheck): ProtocolError {
    return new ProtocolError(
      `segment ${this.logPath} is damaged at byte ${position} (${check.kind === 'corrupt' ? check.reason : 'truncated'})`,
      { code: 'CONDUIT_CORRUPT_LOG' },
    )
  }

  /** First offset in this segment with a timestamp at or after `timestamp`, or null. */
  findTimestamp(timestamp: number): number | null {
    if (this.maxTimestamp < timestamp) return null
    const reader = new BatchReader(this.fd, this.size)
    let position = 0
    let offset = this.base
    while (position < this.size) {
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

/**
 * Reads a segment file in chunks of at least READ_CHUNK bytes and checks the batch at a position,
 * reading further when the batch does not fit in the current chunk. `chunk` and `chunkStart` stay
 * valid for the batch just checked.
 */
class BatchReader {
  private readonly fd: number
  private readonly size: number
  chunk = Buffer.alloc(0)
  /** Over `chunk`, for decodeRecord. */
  view = viewOf(this.chunk)
  chunkStart = 0

  constructor(fd: number, size: number) {
    this.fd = fd
    this.size = size
  }

  check(position: number): BatchCheck {
    let check = checkBatch(this.chunk, position - this.chunkStart, this.chunk.length)
    // At most twice: once for the frame header, once more for a batch larger than READ_CHUNK.
    while (check.kind === 'incomplete') {
      const length = Math.min(Math.max(READ_CHUNK, check.needed), this.size - position)
      if (this.chunkStart === position && length <= this.chunk.length) return check // nothing more on disk
      this.chunk = Buffer.allocUnsafe(length)
      this.view = viewOf(this.chunk)
      readFully(this.fd, this.chunk, position)
      this.chunkStart = position
      check = checkBatch(this.chunk, 0, this.chunk.length)
    }
    return check
  }
}

function readFully(fd: number, buffer: Buffer, position: number): void {
  let read = 0
  while (read < buffer.length) {
    const n = fs.readSync(fd, buffer, read, buffer.length - read, position + read)
    if (n === 0)
      throw new ProtocolError(`unexpected end of segment file at byte ${position + read}`, {
        code: 'CONDUIT_CORRUPT_LOG',
      })
    read += n
  }
}
