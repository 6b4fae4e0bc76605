// The repair that opening a `file:` directory names when a topic's topic.json is missing beside
// data, unreadable, damaged, or disagrees with the partition directories (topic-meta.ts): rewrite
// topic.json from what is on disk. It never removes or changes a segment; it only writes
// topic.json (durably) and creates empty directories for partitions that are missing entirely.
// Run as `conduit repair topic <topic> --url file:<dir>` or repairTopic(dir, topic).

import fs from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../../core/errors.ts'
import { validatePartitionCount, validateTopicName } from '../topic.ts'
import { writeFileDurably } from './durable-write.ts'
import { DirectoryLock } from './lock.ts'
import { syncDirectory } from './log.ts'
import { withStorageErrors } from './storage-error.ts'
import { TOPIC_FILE, decodeTopicMeta, encodeTopicMeta, partitionDirectories } from './topic-meta.ts'

export interface RepairTopicOptions {
  /**
   * The partition count to record. Default: one more than the highest partition directory
   * present. It may not be lower than that (the partitions above it would be hidden).
   */
  partitions?: number
}

export interface RepairTopicResult {
  /** The topic.json written (or found intact). */
  file: string
  partitions: number
  /** Partitions that had no directory and were created empty. */
  createdPartitions: number[]
  /** False when topic.json was intact and agreed with the partition directories already. */
  rewritten: boolean
}

/**
 * Rewrites `<dir>/topics/<topic>/topic.json` from the partition directories present. Takes the
 * directory's lock, so it refuses (LockedError) while a broker has the directory open.
 */
export function repairTopic(dir: string, topic: string, options: RepairTopicOptions = {}): RepairTopicResult {
  validateTopicName(topic)
  if (options.partitions !== undefined) validatePartitionCount(options.partitions)
  const real = withStorageErrors(dir, 'open the data directory', () => fs.realpathSync(dir))
  const lock = DirectoryLock.acquire(real)
  try {
    const topicDir = path.join(real, 'topics', topic)
    const isTopic = withStorageErrors(topicDir, 'read the topic', () =>
      fs.statSync(topicDir, { throwIfNoEntry: false }),
    )
    if (!isTopic?.isDirectory()) {
      throw new ConfigError(`there is no topic "${topic}" in ${real} (no directory ${topicDir})`)
    }
    const present = partitionDirectories(topicDir)
    const inferred = present.length === 0 ? 0 : present[present.length - 1]! + 1
    const partitions = options.partitions ?? inferred
    if (partitions === 0) {
      throw new ConfigError(
        `${topicDir} has no partition directories to count; give the partition count (--partitions N)`,
      )
    }
    if (partitions < inferred) {
      throw new ConfigError(
        `${topicDir} has partition directories up to ${inferred - 1}; recording ${partitions} partitions ` +
          `would hide the data of the others`,
      )
    }
    const file = path.join(topicDir, TOPIC_FILE)
    const old = readOld(file)
    const missing = Array.from({ length: partitions }, (_, p) => p).filter((p) => !present.includes(p))
    if (old !== null && old.partitions === partitions && missing.length === 0) {
      return { file, partitions, createdPartitions: [], rewritten: false }
    }
    for (const p of missing) {
      const partitionDir = path.join(topicDir, String(p))
      withStorageErrors(partitionDir, 'create a missing partition', () => fs.mkdirSync(partitionDir))
    }
    if (missing.length > 0) syncDirectory(topicDir)
    const createdAt = old?.createdAt ?? oldestSegmentTime(topicDir, present) ?? Date.now()
    writeFileDurably(file, encodeTopicMeta({ partitions, createdAt }))
    return { file, partitions, createdPartitions: missing, rewritten: true }
  } finally {
    lock.release()
  }
}

/** The old metadata when it is still trustworthy (to keep createdAt), else null. */
function readOld(file: string): { partitions: number; createdAt: number } | null {
  try {
    const meta = decodeTopicMeta(fs.readFileSync(file, 'utf8'))
    return 'damage' in meta ? null : meta
  } catch {
    return null // missing or unreadable: that is what is being repaired
  }
}

/** The topic was created no later than its oldest segment file was last written. */
function oldestSegmentTime(topicDir: string, partitions: number[]): number | null {
  let oldest: number | null = null
  for (const p of partitions) {
    const dir = path.join(topicDir, String(p))
    for (const name of withStorageErrors(dir, 'list the partition', () => fs.readdirSync(dir))) {
      if (!name.endsWith('.log')) continue
      const mtime = withStorageErrors(
        path.join(dir, name),
        'read the segment time',
        () => fs.statSync(path.join(dir, name)).mtimeMs,
      )
      if (oldest === null || mtime < oldest) oldest = Math.floor(mtime)
    }
  }
  return oldest
}
