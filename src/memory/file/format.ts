// The on-disk format version of a `file:` directory, in `<dir>/FORMAT`. Segments changed from one
// checksummed frame per record (format 1, which wrote no FORMAT file) to record batches (format 2,
// record.ts); a reader of one format sees the other's segments as corrupt and would truncate them
// on open. So a directory is checked before anything is read: one with topics but no FORMAT file,
// or with another version, is refused with a ConfigError and left untouched. A FORMAT file that
// does not say "conduit-file-log <n>" is damage (or not Conduit's): CorruptDataError, untouched.

import fs from 'node:fs'
import path from 'node:path'
import { ConfigError, CorruptDataError } from '../../core/errors.ts'
import { writeFileDurably } from './durable-write.ts'
import { toStorageError, withStorageErrors } from './storage-error.ts'

export const FORMAT_VERSION = 2
const FORMAT_FILE = 'FORMAT'
const CONTENTS = `conduit-file-log ${FORMAT_VERSION}\n`

/** Checks (or, for a new directory, records) the format; throws on a mismatch or damage. */
export function checkFormat(dir: string): void {
  const file = path.join(dir, FORMAT_FILE)
  let text: string | null = null
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw toStorageError(error, file, 'read the format version')
    }
  }
  const existing = topicNames(dir)
  if (text !== null) {
    const match = /^conduit-file-log (\d+)\s*$/.exec(text)
    // Empty beside no topic: a first open that a crash interrupted (before FORMAT was fsynced);
    // nothing to lose, so it is written again. Anything else unreadable is not ours to overwrite.
    if (match === null && (text.length > 0 || existing.length > 0)) {
      throw new CorruptDataError(
        `${file} is damaged or not Conduit's (${text.length === 0 ? 'empty' : JSON.stringify(text.slice(0, 40))}); ` +
          'nothing was changed',
        {
          path: file,
          hint:
            `if this directory was written by this version of Conduit (format ${FORMAT_VERSION}), restore the file ` +
            `with: printf 'conduit-file-log ${FORMAT_VERSION}\\n' > '${file}'`,
        },
      )
    }
    if (match !== null) {
      const version = Number(match[1])
      if (version !== FORMAT_VERSION) {
        throw new ConfigError(
          `${dir} holds data in on-disk format ${version}, but this Conduit reads format ${FORMAT_VERSION}; ` +
            'open it with the Conduit that wrote it, or use another directory',
        )
      }
      return
    }
  } else if (existing.length > 0) {
    throw new ConfigError(
      `${dir} holds topics (${existing.slice(0, 3).join(', ')}) written by an earlier Conduit in on-disk format 1 ` +
        `(one frame per record), which this Conduit (format ${FORMAT_VERSION}, record batches) cannot read; ` +
        `open it with the Conduit that wrote it, or use another directory`,
    )
  }
  writeFileDurably(file, CONTENTS)
}

function topicNames(dir: string): string[] {
  const topics = path.join(dir, 'topics')
  if (!fs.existsSync(topics)) return []
  return withStorageErrors(topics, 'list the topics', () => fs.readdirSync(topics)).filter(
    (n) => !n.startsWith('.') && !n.startsWith('@'), // '@': a topic being created or deleted
  )
}
