// The data directory of a `file:` URL, made to exist and named by its real path. Every spelling
// of one directory (relative or absolute, through a symlink, with `..`) must reach the same open
// store: two stores on one directory in one process write one log twice, and the lock cannot
// tell them apart (both are this pid).

import fs from 'node:fs'
import path from 'node:path'
import { StorageError } from '../../core/errors.ts'
import { toStorageError, withStorageErrors } from './storage-error.ts'

/** Creates `dir` and `dir/topics` if needed; returns the real (symlink-free, absolute) path. */
export function prepareDataDirectory(dir: string): string {
  ensureDirectory(dir, 'create the data directory')
  const real = withStorageErrors(dir, 'resolve the data directory', () => fs.realpathSync(dir))
  ensureDirectory(path.join(real, 'topics'), 'create the topics directory')
  return real
}

function ensureDirectory(dir: string, action: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true })
  } catch (error) {
    // mkdir says EEXIST for a regular file in the way; say what is wrong instead.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && !isDirectory(dir)) {
      throw new StorageError(`could not ${action} at ${dir}: a file of that name is in the way`, {
        path: dir,
        systemCode: 'ENOTDIR',
        hint: 'a file stands where Conduit expects a directory: point the URL at a directory, or move the file away',
        cause: error,
      })
    }
    throw toStorageError(error, dir, action)
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory()
  } catch {
    return false
  }
}
