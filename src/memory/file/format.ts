// The on-disk format version of a `file:` directory, in `<dir>/FORMAT`. Segments changed from one
// checksummed frame per record (format 1, which wrote no FORMAT file) to record batches (format 2,
// record.ts); a reader of one format sees the other's segments as corrupt and would truncate them
// on open. So a directory is checked before anything is read: one with topics but no FORMAT file,
// or with another version, is refused with a ConfigError and left untouched.

import fs from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../../core/errors.ts'
import { syncDirectory } from './log.ts'

export const FORMAT_VERSION = 2
const FORMAT_FILE = 'FORMAT'

/** Checks (or, for a new directory, records) the format; throws ConfigError on a mismatch. */
export function checkFormat(dir: string): void {
  const file = path.join(dir, FORMAT_FILE)
  let text: string | null = null
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  if (text !== null) {
    const version = Number(/^conduit-file-log (\d+)\s*$/.exec(text)?.[1])
    if (version !== FORMAT_VERSION) {
      throw new ConfigError(
        `${dir} holds data in on-disk format ${Number.isNaN(version) ? `"${text.trim().slice(0, 40)}"` : version}, ` +
          `but this Conduit reads format ${FORMAT_VERSION}; open it with the Conduit that wrote it, or use another directory`,
      )
    }
    return
  }
  const topics = path.join(dir, 'topics')
  const existing = fs.existsSync(topics) ? fs.readdirSync(topics).filter((n) => !n.startsWith('.')) : []
  if (existing.length > 0) {
    throw new ConfigError(
      `${dir} holds topics (${existing.slice(0, 3).join(', ')}) written by an earlier Conduit in on-disk format 1 ` +
        `(one frame per record), which this Conduit (format ${FORMAT_VERSION}, record batches) cannot read; ` +
        `open it with the Conduit that wrote it, or use another directory`,
    )
  }
  fs.writeFileSync(`${file}.tmp`, `conduit-file-log ${FORMAT_VERSION}\n`)
  fs.renameSync(`${file}.tmp`, file)
  syncDirectory(dir)
}
