// Reading a segment file batch by batch (BatchReader), and finding the next intact batch after
// damaged bytes (findNextBatch) — how recovery keeps the valid batches that follow a damaged one.

import { Buffer } from 'node:buffer'
import fs from 'node:fs'
import { ProtocolError } from '../../core/errors.ts'
import { BATCH_HEADER, MAX_BATCH_BYTES, RECORD_FIXED, checkBatch, viewOf } from './record.ts'
import type { BatchCheck } from './record.ts'

const READ_CHUNK = 256 * 1024
/** The resynchronising scan reads the file in windows of this size. */
const SCAN_WINDOW = 64 * 1024

/**
 * Reads a segment file in chunks of at least READ_CHUNK bytes and checks the batch at a position,
 * reading further when the batch does not fit in the current chunk. `chunk` and `chunkStart` stay
 * valid for the batch just checked.
 */
export class BatchReader {
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

export interface FoundBatch {
  readonly position: number
  /** Its first offset, from its own header. */
  readonly base: number
  readonly check: BatchCheck & { kind: 'batch' }
}

/**
 * The first intact batch at or after `start` that can follow damaged bytes beginning at
 * `damageStart`, where the log expected offset `expected` next; null when there is none before
 * `fileSize`. A candidate must pass checkBatch (length bound, CRC-32, records filling it) and hold
 * offsets that fit: its first offset at least `expected`, no more offsets missing than the damaged
 * bytes could have held (a record takes at least RECORD_FIXED bytes), and its last below `limit`.
 * The header checks come first and reject nearly every position of random or zeroed bytes, so the
 * CRC runs rarely; a false match would need a CRC-32 collision on top of them.
 */
export function findNextBatch(
  fd: number,
  fileSize: number,
  segmentBase: number,
  start: number,
  damageStart: number,
  expected: number,
  limit: number,
): FoundBatch | null {
  let window = Buffer.alloc(0)
  let windowStart = start
  const reader = new BatchReader(fd, fileSize)
  const last = fileSize - (BATCH_HEADER + RECORD_FIXED)
  for (let p = start; p <= last; p++) {
    if (p + 16 > windowStart + window.length) {
      window = Buffer.allocUnsafe(Math.min(SCAN_WINDOW, fileSize - p))
      readFully(fd, window, p)
      windowStart = p
    }
    const at = p - windowStart
    const length = window.readUInt32LE(at)
    if (length < BATCH_HEADER - 8 + RECORD_FIXED || length > MAX_BATCH_BYTES - 8) continue
    if (p + 8 + length > fileSize) continue
    const base = segmentBase + window.readUInt32LE(at + 8)
    const count = window.readUInt32LE(at + 12)
    if (base < expected || base - expected > Math.floor((p - damageStart) / RECORD_FIXED)) continue
    if (count === 0 || count * RECORD_FIXED > length || base + count > limit) continue
    const check = reader.check(p)
    if (check.kind === 'batch') return { position: p, base, check }
  }
  return null
}
