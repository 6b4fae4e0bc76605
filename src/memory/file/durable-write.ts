// Writing a small metadata file (FORMAT, topic.json) so that after a crash or a power cut it holds
// either its old contents or the complete new ones, never a torn or empty file:
// write a temporary file, fsync it, rename it over the target, fsync the directory. Without the
// first fsync a power cut can leave the rename durable but the data not (an empty topic.json);
// without the last one, the rename itself may be lost.

import fs from 'node:fs'
import path from 'node:path'
import { syncDirectory } from './log.ts'
import { withStorageErrors } from './storage-error.ts'

export function writeFileDurably(file: string, contents: string): void {
  const temporary = `${file}.tmp`
  withStorageErrors(temporary, `write ${path.basename(file)}`, () => {
    const fd = fs.openSync(temporary, 'w')
    try {
      fs.writeFileSync(fd, contents)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  })
  withStorageErrors(file, `replace ${path.basename(file)}`, () => {
    try {
      fs.renameSync(temporary, file)
    } catch (error) {
      fs.rmSync(temporary, { force: true })
      throw error
    }
  })
  syncDirectory(path.dirname(file))
}
