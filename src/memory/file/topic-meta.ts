// `topics/<topic>/topic.json`: a topic's partition count and creation time, and how a topic
// directory is judged on open.
//
//   {"partitions":3,"createdAt":1733616000000,"crc32c":123456789}
//
// `crc32c` covers the JSON of the first two fields exactly as written, so one flipped byte
// anywhere (a digit of the partition count included, which still parses) is detected rather than
// silently opening the wrong number of partitions. Files written before the checksum existed hold
// only the two fields and are accepted as they are; anything else is damage.
//
// The rule (store.ts): a topic directory is removed on open only when it provably is a creation
// that a crash interrupted. Everything else that cannot be read is an error naming the file and
// the repair, and nothing is touched.

import { Buffer } from 'node:buffer'
import fs from 'node:fs'
import path from 'node:path'
import { crc32c } from '../../core/crc32c.ts'
import { CorruptDataError } from '../../core/errors.ts'
import { toStorageError, withStorageErrors } from './storage-error.ts'

export interface TopicMeta {
  partitions: number
  createdAt: number
}

export const TOPIC_FILE = 'topic.json'

export function encodeTopicMeta(meta: TopicMeta): string {
  const body = JSON.stringify({ partitions: meta.partitions, createdAt: meta.createdAt })
  return `${body.slice(0, -1)},"crc32c":${crc32c(Buffer.from(body))}}`
}

/** The metadata in `text`, or why it cannot be trusted. */
export function decodeTopicMeta(text: string): TopicMeta | { damage: string } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { damage: text.length === 0 ? 'it is empty' : 'it is not valid JSON' }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { damage: 'it is not a JSON object' }
  }
  const { partitions, createdAt, crc32c: crc, ...rest } = value as Record<string, unknown>
  const extra = Object.keys(rest)
  if (extra.length > 0) return { damage: `it has unknown fields (${extra.join(', ')})` }
  if (!Number.isInteger(partitions) || (partitions as number) < 1) {
    return { damage: `partitions is ${JSON.stringify(partitions)}` }
  }
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt) || createdAt < 0) {
    return { damage: `createdAt is ${JSON.stringify(createdAt)}` }
  }
  const meta = { partitions: partitions as number, createdAt }
  if (crc !== undefined && encodeTopicMeta(meta) !== text) {
    return { damage: 'its checksum does not match its contents' }
  }
  return meta
}

/** The partition numbers that have a directory, ascending. */
export function partitionDirectories(topicDir: string): number[] {
  const entries = withStorageErrors(topicDir, 'list the partitions', () =>
    fs.readdirSync(topicDir, { withFileTypes: true }),
  )
  return entries
    .filter((e) => e.isDirectory() && /^(0|[1-9]\d{0,8})$/.test(e.name))
    .map((e) => Number(e.name))
    .sort((a, b) => a - b)
}

/** The command (and function) that rewrites a topic's topic.json from its partition directories. */
export function repairHint(dataDir: string, topic: string): string {
  const url = `file:${dataDir}`
  const quoted = /^[\w./:@%+=-]+$/.test(url) ? url : `'${url.replaceAll("'", `'\\''`)}'`
  return (
    `check that ${path.join(dataDir, 'topics', topic)} holds the topic's partition directories, then run ` +
    `"conduit repair topic ${topic} --url ${quoted}" (add --partitions N if partitions are missing), ` +
    `or call repairTopic(dir, "${topic}") from conduit-mq/memory; it rewrites topic.json and keeps every segment`
  )
}

export type TopicOnDisk =
  | { state: 'ok'; meta: TopicMeta }
  /** No topic.json and not one byte of data: what a crash in the middle of creating it leaves. */
  | { state: 'interrupted' }

/** Reads and checks one topic directory; throws CorruptDataError or StorageError otherwise. */
export function inspectTopic(dataDir: string, topic: string): TopicOnDisk {
  const topicDir = path.join(dataDir, 'topics', topic)
  const file = path.join(topicDir, TOPIC_FILE)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw toStorageError(error, file, 'read the topic')
    if (holdsNoData(topicDir)) return { state: 'interrupted' }
    throw new CorruptDataError(
      `topic "${topic}" has data but no ${TOPIC_FILE} (${file} is missing); nothing was changed`,
      { path: file, hint: repairHint(dataDir, topic) },
    )
  }
  const meta = decodeTopicMeta(text)
  if ('damage' in meta) {
    throw new CorruptDataError(`${file} is damaged: ${meta.damage}; nothing was changed`, {
      path: file,
      hint: repairHint(dataDir, topic),
    })
  }
  const present = partitionDirectories(topicDir)
  const expected = Array.from({ length: meta.partitions }, (_, p) => p)
  if (present.length !== expected.length || present.some((p, i) => p !== i)) {
    throw new CorruptDataError(
      `${file} says topic "${topic}" has ${meta.partitions} partitions, but the partition directories ` +
        `present are [${present.join(', ')}]; nothing was changed`,
      { path: file, hint: repairHint(dataDir, topic) },
    )
  }
  return { state: 'ok', meta }
}

/**
 * True when the directory holds only what an interrupted creation leaves: partition directories
 * with empty files in them, and perhaps a topic.json.tmp. Before topics were created under a
 * temporary name (store.ts), topic.json was written last, after the empty segments; a topic that
 * ever held a record has a non-empty segment, so this never mistakes data for an empty creation.
 */
function holdsNoData(topicDir: string): boolean {
  const entries = withStorageErrors(topicDir, 'list the topic', () =>
    fs.readdirSync(topicDir, { withFileTypes: true }),
  )
  for (const entry of entries) {
    const full = path.join(topicDir, entry.name)
    if (entry.isFile() && entry.name === `${TOPIC_FILE}.tmp`) continue
    if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) return false
    const files = withStorageErrors(full, 'list the partition', () =>
      fs.readdirSync(full, { withFileTypes: true }),
    )
    for (const f of files) {
      if (!f.isFile()) return false
      const size = withStorageErrors(
        path.join(full, f.name),
        'read the segment size',
        () => fs.statSync(path.join(full, f.name)).size,
      )
      if (size > 0) return false
    }
  }
  return true
}
