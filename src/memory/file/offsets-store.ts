// Committed group offsets of a `file:` broker, in `offsets.log`: an append-only file of small
// checksummed records, one per commit, so an ack costs one small write instead of rewriting a
// table. When the file holds many superseded records it is rewritten with only the latest ones
// (write a new file, fsync, rename over the old one — a crash leaves either the old or the new).
//
//   record  = length:u32le  crc:u32le  payload       (crc = CRC-32C of payload)
//   payload = groupLength:u16le group  topicLength:u16le topic  partition:u32le  offset:f64le
//             (offset -1 = the group's offsets for that topic were deleted)
//
// Each record stands alone: a damaged one is skipped on open and reading resynchronises on the next
// one (see open()). The framing is the same as before, so older files read unchanged.
//
// Commits are written when the ack happens (surviving kill -9) and fsynced on the store's interval:
// losing the newest commits to a power cut means redelivery, never loss — at-least-once.

import { Buffer } from 'node:buffer'
import fs from 'node:fs'
import path from 'node:path'
import { crc32c } from '../../core/crc32c.ts'
import { reportDamage } from './damage.ts'
import { syncDirectory } from './log.ts'
import { withStorageErrors } from './storage-error.ts'

/** group → topic → partition → next offset to consume */
export type OffsetTable = Map<string, Map<string, Map<number, number>>>

const COMPACT_AFTER_RECORDS = 100_000

export class OffsetsStore {
  private readonly file: string
  private fd: number
  private readonly table: OffsetTable
  private records = 0
  private size = 0
  private dirty = false
  /** The descriptor a background fdatasync (sync()) is running on, or -1. */
  private syncingFd = -1
  private closed = false

  private constructor(file: string, fd: number, table: OffsetTable, records: number, size: number) {
    this.file = file
    this.fd = fd
    this.table = table
    this.records = records
    this.size = size
  }

  /**
   * Reads every record that checks. Records stand alone: a damaged one is skipped, reported, and
   * reading resynchronises on the next record whose length, CRC and fields all check, so one bad
   * byte costs one commit (its group re-reads from its previous one), never the commits after it.
   * A file with damaged records is rewritten without them; a torn tail is cut.
   */
  static open(dir: string): OffsetsStore {
    const file = path.join(dir, 'offsets.log')
    const table: OffsetTable = new Map()
    let records = 0
    let valid = 0
    let damaged = false
    if (fs.existsSync(file)) {
      const bytes = fs.readFileSync(file)
      let p = 0
      while (p < bytes.length) {
        const decoded = recordAt(bytes, p)
        if (decoded !== null) {
          apply(table, decoded.group, decoded.topic, decoded.partition, decoded.offset)
          records++
          p += 8 + decoded.length
          valid = p
          continue
        }
        let next = p + 1
        while (next + 8 <= bytes.length && recordAt(bytes, next) === null) next++
        const end = next + 8 <= bytes.length ? next : bytes.length
        reportDamage({
          kind: 'offsets-skipped',
          file,
          bytes: end - p,
          reason:
            `${end - p} bytes at byte ${p} of offsets.log are not a valid commit record ` +
            `(${end === bytes.length ? 'a torn last commit' : 'skipped; later commits are kept'}); ` +
            `a group whose commit was there re-reads from its previous one`,
        })
        if (end === bytes.length) break
        damaged = true
        p = next
      }
    }
    const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+')
    // A torn last commit is dropped: that group re-reads from its previous commit (redelivery).
    if (!damaged && fs.fstatSync(fd).size !== valid) fs.ftruncateSync(fd, valid)
    const store = new OffsetsStore(file, fd, table, records, valid)
    // Damaged records in the middle: rewrite the file with the commits that were read.
    if (damaged || records > COMPACT_AFTER_RECORDS) store.compact()
    return store
  }

  /** A copy of the committed offsets (groups keep their own live copy). */
  load(): OffsetTable {
    const copy: OffsetTable = new Map()
    for (const [group, topics] of this.table) {
      const t = new Map<string, Map<number, number>>()
      for (const [topic, partitions] of topics) t.set(topic, new Map(partitions))
      copy.set(group, t)
    }
    return copy
  }

  /** Throws a StorageError (e.g. ENOSPC, retriable) when the record cannot be written; then nothing changed. */
  commit(group: string, topic: string, partition: number, offset: number): void {
    const record = encodeCommit(group, topic, partition, offset)
    // A short write is continued; a failed one leaves `size` as it was, so the next commit
    // overwrites the partial bytes (and open() cuts them as a torn tail after a crash).
    withStorageErrors(this.file, 'record the committed offset', () => {
      let written = 0
      while (written < record.length)
        written += fs.writeSync(this.fd, record, written, record.length - written, this.size + written)
    })
    apply(this.table, group, topic, partition, offset)
    this.size += record.length
    this.records++
    this.dirty = true
    if (this.records > COMPACT_AFTER_RECORDS) this.compact()
  }

  deleteTopic(group: string, topic: string): void {
    if (!this.table.get(group)?.has(topic)) return
    this.commit(group, topic, 0, -1)
  }

  /**
   * fsync when something changed since the last one (called on the store's interval), on the
   * thread pool: a blocking fdatasync stalled the event loop — and every producer and consumer on
   * it — for as long as the disk took (on ext4 a journal commit, often milliseconds, at times tens).
   * A failed one is retried on the next interval.
   */
  sync(): void {
    if (!this.dirty || this.syncingFd !== -1) return
    this.dirty = false
    const fd = this.fd
    this.syncingFd = fd
    fs.fdatasync(fd, (error) => {
      this.syncingFd = -1
      if (error) this.dirty = true
      // compact() or close() replaced the descriptor meanwhile and left closing it to us.
      if (fd !== this.fd || this.closed) fs.close(fd, () => undefined)
    })
  }

  private compact(): void {
    const parts: Buffer[] = []
    let count = 0
    for (const [group, topics] of this.table) {
      for (const [topic, partitions] of topics) {
        for (const [partition, offset] of partitions) {
          parts.push(encodeCommit(group, topic, partition, offset))
          count++
        }
      }
    }
    const bytes = Buffer.concat(parts)
    const temporary = `${this.file}.tmp`
    fs.writeFileSync(temporary, bytes)
    const tfd = fs.openSync(temporary, 'r+')
    fs.fsyncSync(tfd)
    fs.closeSync(tfd)
    if (this.syncingFd !== this.fd) fs.closeSync(this.fd) // else sync()'s callback closes it
    fs.renameSync(temporary, this.file)
    syncDirectory(path.dirname(this.file))
    this.fd = fs.openSync(this.file, 'r+')
    this.size = bytes.length
    this.records = count
    this.dirty = false
  }

  /** Synchronously durable: a background fsync still running may have started before the last commits. */
  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.dirty || this.syncingFd === this.fd) fs.fdatasyncSync(this.fd)
    if (this.syncingFd !== this.fd) fs.closeSync(this.fd) // else sync()'s callback closes it
  }
}

function apply(table: OffsetTable, group: string, topic: string, partition: number, offset: number): void {
  let topics = table.get(group)
  if (offset === -1) {
    topics?.delete(topic)
    if (topics && topics.size === 0) table.delete(group)
    return
  }
  if (!topics) table.set(group, (topics = new Map()))
  let partitions = topics.get(topic)
  if (!partitions) topics.set(topic, (partitions = new Map()))
  partitions.set(partition, offset)
}

function encodeCommit(group: string, topic: string, partition: number, offset: number): Buffer {
  const g = Buffer.from(group)
  const t = Buffer.from(topic)
  const length = 2 + g.length + 2 + t.length + 4 + 8
  const record = Buffer.allocUnsafe(8 + length)
  let p = 8
  record.writeUInt16LE(g.length, p)
  g.copy(record, p + 2)
  p += 2 + g.length
  record.writeUInt16LE(t.length, p)
  t.copy(record, p + 2)
  p += 2 + t.length
  record.writeUInt32LE(partition, p)
  record.writeDoubleLE(offset, p + 4)
  record.writeUInt32LE(length, 0)
  record.writeUInt32LE(crc32c(record.subarray(8)), 4)
  return record
}

/** The commit record at `p`, if its length is in bounds, its CRC matches and its fields parse. */
function recordAt(
  bytes: Buffer,
  p: number,
): { group: string; topic: string; partition: number; offset: number; length: number } | null {
  if (p + 8 > bytes.length) return null
  const length = bytes.readUInt32LE(p)
  if (length < 16 || length > 1024 || p + 8 + length > bytes.length) return null
  const payload = bytes.subarray(p + 8, p + 8 + length)
  if (crc32c(payload) !== bytes.readUInt32LE(p + 4)) return null
  const decoded = decodeCommit(payload)
  return decoded === null ? null : { ...decoded, length }
}

function decodeCommit(
  payload: Buffer,
): { group: string; topic: string; partition: number; offset: number } | null {
  let p = 0
  const gl = payload.readUInt16LE(p)
  p += 2
  if (p + gl + 2 > payload.length) return null
  const group = payload.toString('utf8', p, p + gl)
  p += gl
  const tl = payload.readUInt16LE(p)
  p += 2
  if (p + tl + 12 !== payload.length) return null
  const topic = payload.toString('utf8', p, p + tl)
  p += tl
  const partition = payload.readUInt32LE(p)
  const offset = payload.readDoubleLE(p + 4)
  if (!Number.isSafeInteger(offset) || offset < -1) return null
  return { group, topic, partition, offset }
}
