// The `file:<dir>` store: the directory layout, topic metadata, the lock, committed offsets and
// the fsync policy.
//
//   <dir>/LOCK                        owner pid (lock.ts)
//   <dir>/FORMAT                      on-disk format version (format.ts)
//   <dir>/offsets.log                 committed group offsets (offsets-store.ts)
//   <dir>/topics/<topic>/topic.json   { partitions, createdAt } — written last, so a topic whose
//                                     creation a crash interrupted has none and is removed on open
//   <dir>/topics/<topic>/<p>/…        segments of partition p (segment.ts, log.ts)
//
// What "acknowledged" means for `file:`: the record was written to its segment file with write(2)
// before the producer's send resolves — it survives the process being killed (kill -9) at any
// moment. With `fsync: 'always'` the segment is also fdatasync'ed before the ack (and before any
// consumer sees the record), so it survives an OS crash or power loss; with `fsync: 'interval'`
// (the default) the fdatasync happens every `fsyncIntervalMs`, and a power loss can take back the
// last interval's acknowledged records.

import fs from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../../core/errors.ts'
import type { DurableStore } from '../engine.ts'
import type { CommitSink } from '../group.ts'
import type { DurablePartition } from '../partition-log.ts'
import { FileLog, syncDirectory } from './log.ts'
import type { FileLogOptions } from './log.ts'
import { checkFormat } from './format.ts'
import { DirectoryLock } from './lock.ts'
import { OffsetsStore } from './offsets-store.ts'
import type { OffsetTable } from './offsets-store.ts'

export interface FileStoreOptions extends FileLogOptions {
  fsync: 'always' | 'interval'
  fsyncIntervalMs: number
}

export class FileStore implements DurableStore {
  readonly dir: string
  readonly fsync: 'always' | 'interval'
  private readonly options: FileStoreOptions
  private readonly lock: DirectoryLock
  private readonly offsets: OffsetsStore
  private readonly logs = new Map<string, FileLog[]>()
  private readonly timer: NodeJS.Timeout
  readonly commitSink: CommitSink
  private closed = false

  private constructor(dir: string, options: FileStoreOptions, lock: DirectoryLock, offsets: OffsetsStore) {
    this.dir = dir
    this.options = options
    this.fsync = options.fsync
    this.lock = lock
    this.offsets = offsets
    this.commitSink = (group, topic, partition, offset) =>
      this.offsets.commit(group, topic, partition, offset)
    this.timer = setInterval(() => this.syncAll(), options.fsyncIntervalMs)
    this.timer.unref()
  }

  static open(dir: string, options: FileStoreOptions): FileStore {
    try {
      fs.mkdirSync(path.join(dir, 'topics'), { recursive: true })
    } catch (error) {
      throw new ConfigError(`cannot create the data directory ${dir}: ${(error as Error).message}`, {
        cause: error,
      })
    }
    const lock = DirectoryLock.acquire(dir)
    try {
      checkFormat(dir)
      return new FileStore(dir, options, lock, OffsetsStore.open(dir))
    } catch (error) {
      lock.release()
      throw error
    }
  }

  private topicDir(name: string): string {
    return path.join(this.dir, 'topics', name)
  }

  private logOptions(): FileLogOptions {
    const { segmentBytes, retentionBytes, retentionMs } = this.options
    return { segmentBytes, retentionBytes, retentionMs }
  }

  loadTopics(): { name: string; createdAt: number; partitions: DurablePartition[] }[] {
    const out: { name: string; createdAt: number; partitions: DurablePartition[] }[] = []
    const root = path.join(this.dir, 'topics')
    for (const name of fs.readdirSync(root).sort()) {
      const dir = path.join(root, name)
      if (name.startsWith('.deleted-')) {
        fs.rmSync(dir, { recursive: true, force: true }) // a delete a crash interrupted
        continue
      }
      let meta: { partitions: number; createdAt: number }
      try {
        meta = JSON.parse(fs.readFileSync(path.join(dir, 'topic.json'), 'utf8')) as typeof meta
      } catch {
        fs.rmSync(dir, { recursive: true, force: true }) // a creation a crash interrupted
        continue
      }
      if (!Number.isInteger(meta.partitions) || meta.partitions < 1) {
        throw new ConfigError(
          `${path.join(dir, 'topic.json')} is damaged: partitions = ${String(meta.partitions)}`,
        )
      }
      const logs = Array.from({ length: meta.partitions }, (_, p) =>
        FileLog.open(path.join(dir, String(p)), name, p, this.logOptions()),
      )
      this.logs.set(name, logs)
      out.push({ name, createdAt: meta.createdAt, partitions: logs })
    }
    return out
  }

  createTopic(name: string, partitions: number, createdAt: number): DurablePartition[] {
    const dir = this.topicDir(name)
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
    const logs = Array.from({ length: partitions }, (_, p) =>
      FileLog.open(path.join(dir, String(p)), name, p, this.logOptions()),
    )
    const meta = path.join(dir, 'topic.json')
    fs.writeFileSync(`${meta}.tmp`, JSON.stringify({ partitions, createdAt }))
    fs.renameSync(`${meta}.tmp`, meta)
    syncDirectory(dir)
    syncDirectory(path.dirname(dir))
    this.logs.set(name, logs)
    return logs
  }

  deleteTopic(name: string): void {
    this.logs.delete(name)
    const dir = this.topicDir(name)
    // Renamed first so that a crash in the middle of the removal cannot leave half a topic behind.
    const doomed = path.join(this.dir, 'topics', `.deleted-${name}-${process.pid}-${Date.now()}`)
    fs.renameSync(dir, doomed)
    fs.rmSync(doomed, { recursive: true, force: true })
  }

  loadOffsets(): OffsetTable {
    return this.offsets.load()
  }

  deleteGroupOffsets(group: string, topic: string): void {
    this.offsets.deleteTopic(group, topic)
  }

  /** The interval fsync: segments (for `interval`) and committed offsets (for both policies). */
  private syncAll(): void {
    if (this.closed) return
    if (this.fsync === 'interval') {
      for (const logs of this.logs.values()) for (const log of logs) log.sync(() => undefined)
    }
    try {
      this.offsets.sync()
    } catch {
      // retried on the next interval; a lost commit only means redelivery
    }
  }

  /** Logs are closed by the engine (topic by topic); this closes the rest and releases the lock. */
  close(): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    try {
      this.offsets.close()
    } finally {
      this.lock.release()
    }
  }
}
