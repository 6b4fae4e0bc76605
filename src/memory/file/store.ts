// The `file:` store: the directory layout, topic metadata, the lock, committed offsets and
// the fsync policy.
//
//   <dir>/LOCK.<n>, <dir>/LOCK        the lock: generations and the holder's record (lock.ts)
//   <dir>/FORMAT                      on-disk format version (format.ts)
//   <dir>/offsets.log                 committed group offsets (offsets-store.ts)
//   <dir>/topics/<topic>/topic.json   { partitions, createdAt, crc32c } (topic-meta.ts)
//   <dir>/topics/<topic>/<p>/…        segments of partition p (segment.ts, log.ts)
//   <dir>/topics/@creating-…          a topic being created; <dir>/topics/@deleted-… one being deleted
//
// What "acknowledged" means for `file:`: the record was written to its segment file with write(2)
// before the producer's send resolves — it survives the process being killed (kill -9) at any
// moment. With `fsync: 'always'` the segment is also fdatasync'ed before the ack (and before any
// consumer sees the record), so it survives an OS crash or power loss; with `fsync: 'interval'`
// (the default) the fdatasync happens every `fsyncIntervalMs`, and a power loss can take back the
// last interval's acknowledged records.
//
// Opening a directory — the durability rules:
// - One directory, one open store: the registry (engines.ts) keys it by its real path, and the
//   lock (lock.ts) keeps other processes out; taking over a dead process's lock is atomic.
// - FORMAT and topic.json are written whole or not at all: temporary file, fsync, rename, fsync
//   of the directory (durable-write.ts).
// - A topic is created under topics/@creating-<unique> (its partition directories and topic.json,
//   the directory fsynced) and renamed to its name, then topics/ is fsynced: a topic directory
//   under its own name is always complete, and an @creating- one provably never held a record.
// - Conduit never deletes data it cannot prove is an interrupted creation or a deletion the user
//   asked for. Removed on open: topics/@creating-* (interrupted creations), topics/@deleted-* and
//   an earlier Conduit's .deleted-<topic>-<pid>-<ms> (interrupted deletions), and a topic
//   directory without topic.json whose files are all empty (an earlier Conduit's interrupted
//   creation). Entries that are not directories with a topic's name are left alone. A topic.json that is missing beside
//   data, unreadable, damaged, or disagrees with the partition directories stops the open with a
//   CorruptDataError (or a StorageError for the OS's refusals) naming the file and the repair —
//   `conduit repair topic <t>` / repairTopic() (repair.ts) — and nothing is changed.
// - Every topic is checked before any of their logs is opened, and every failure path closes what
//   was opened, so a failed open leaves no descriptor and no lock behind.

import fs from 'node:fs'
import path from 'node:path'
import { StorageError } from '../../core/errors.ts'
import type { DurableStore } from '../engine.ts'
import type { CommitSink } from '../group.ts'
import type { DurablePartition } from '../partition-log.ts'
import { validateTopicName } from '../topic.ts'
import { prepareDataDirectory } from './data-dir.ts'
import { writeFileDurably } from './durable-write.ts'
import { checkFormat } from './format.ts'
import { DirectoryLock } from './lock.ts'
import { FileLog, syncDirectory } from './log.ts'
import type { FileLogOptions } from './log.ts'
import { OffsetsStore } from './offsets-store.ts'
import type { OffsetTable } from './offsets-store.ts'
import { withStorageErrors } from './storage-error.ts'
import { TOPIC_FILE, encodeTopicMeta, inspectTopic } from './topic-meta.ts'
import type { TopicMeta } from './topic-meta.ts'

// '@' cannot occur in a topic name (topic.ts), so no topic can be mistaken for these.
const CREATING = '@creating-'
const DELETING = '@deleted-'
/** How an earlier Conduit named a topic it was deleting. */
const LEGACY_DELETING = /^\.deleted-[A-Za-z0-9._-]{1,200}-\d+-\d{13}$/
let creations = 0

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

  /** `dir` need not exist; the store is keyed by its real path (`this.dir`). */
  static open(dir: string, options: FileStoreOptions): FileStore {
    const real = prepareDataDirectory(dir)
    const lock = DirectoryLock.acquire(real)
    try {
      checkFormat(real)
      const offsets = withStorageErrors(path.join(real, 'offsets.log'), 'open the committed offsets', () =>
        OffsetsStore.open(real),
      )
      return new FileStore(real, options, lock, offsets)
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
    const root = path.join(this.dir, 'topics')
    const found: { name: string; meta: TopicMeta }[] = []
    // Every topic is checked before any log is opened: a damaged one stops the open having
    // opened nothing.
    for (const name of withStorageErrors(root, 'list the topics', () => fs.readdirSync(root)).sort()) {
      if (name.startsWith(CREATING) || name.startsWith(DELETING) || LEGACY_DELETING.test(name)) {
        // Provably unfinished: a creation not yet renamed into place, or a deletion under way.
        removeTree(path.join(root, name))
        continue
      }
      if (!isTopicName(name) || !isDirectory(path.join(root, name))) continue // not Conduit's: left alone
      const topic = inspectTopic(this.dir, name)
      if (topic.state === 'interrupted') {
        removeTree(this.topicDir(name))
        continue
      }
      found.push({ name, meta: topic.meta })
    }
    return found.map(({ name, meta }) => {
      const logs = this.openLogs(name, meta.partitions)
      this.logs.set(name, logs)
      return { name, createdAt: meta.createdAt, partitions: logs }
    })
  }

  /** Opens the partition logs of a topic; on a failure closes the ones already opened. */
  private openLogs(name: string, partitions: number): FileLog[] {
    const logs: FileLog[] = []
    try {
      for (let p = 0; p < partitions; p++) {
        const dir = path.join(this.topicDir(name), String(p))
        logs.push(
          withStorageErrors(dir, 'open the partition log', () =>
            FileLog.open(dir, name, p, this.logOptions()),
          ),
        )
      }
      return logs
    } catch (error) {
      for (const log of logs) closeQuietly(log)
      throw error
    }
  }

  createTopic(name: string, partitions: number, createdAt: number): DurablePartition[] {
    const root = path.join(this.dir, 'topics')
    const dir = this.topicDir(name)
    if (fs.existsSync(dir)) {
      // Not loaded, yet there: never overwritten (a rename would replace an empty directory).
      throw new StorageError(`could not create the topic at ${dir}: something already exists there`, {
        path: dir,
        systemCode: 'EEXIST',
        hint: 'move it away, or delete the topic through Conduit if it is a leftover of this topic',
      })
    }
    // Built complete under a temporary name, then renamed: see the header.
    const staging = path.join(root, `${CREATING}${process.pid}-${Date.now()}-${++creations}`)
    try {
      withStorageErrors(staging, 'create the topic', () => {
        fs.mkdirSync(staging)
        for (let p = 0; p < partitions; p++) fs.mkdirSync(path.join(staging, String(p)))
      })
      writeFileDurably(path.join(staging, TOPIC_FILE), encodeTopicMeta({ partitions, createdAt }))
      withStorageErrors(dir, 'create the topic', () => fs.renameSync(staging, dir))
    } catch (error) {
      // Never visible under the topic's name, so it holds nothing; if it cannot go now, the next
      // open removes it. The creation's own error is the one to report.
      try {
        fs.rmSync(staging, { recursive: true, force: true })
      } catch {
        // left for the next open
      }
      throw error
    }
    syncDirectory(root)
    const logs = this.openLogs(name, partitions)
    this.logs.set(name, logs)
    return logs
  }

  deleteTopic(name: string): void {
    this.logs.delete(name)
    const dir = this.topicDir(name)
    // Renamed first so that a crash in the middle of the removal cannot leave half a topic behind.
    const doomed = path.join(this.dir, 'topics', `${DELETING}${name}-${process.pid}-${Date.now()}`)
    withStorageErrors(dir, 'delete the topic', () => fs.renameSync(dir, doomed))
    removeTree(doomed)
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
    // The engine closes its topics' logs first; these closes are no-ops then, and matter when the
    // engine failed to start and never took the logs over.
    for (const logs of this.logs.values()) for (const log of logs) closeQuietly(log)
    try {
      this.offsets.close()
    } finally {
      this.lock.release()
    }
  }
}

function isTopicName(name: string): boolean {
  try {
    validateTopicName(name)
    return true
  } catch {
    return false
  }
}

/** Follows a symlink: a topic directory may have been moved to another disk and linked back. */
function isDirectory(p: string): boolean {
  return withStorageErrors(p, 'read the topic', () => fs.statSync(p).isDirectory())
}

function closeQuietly(log: FileLog): void {
  try {
    log.close()
  } catch {
    // closing on a failure path: the first error is the one worth reporting
  }
}

function removeTree(dir: string): void {
  withStorageErrors(dir, 'remove an unfinished topic or a deleted one', () =>
    fs.rmSync(dir, { recursive: true, force: true }),
  )
}
