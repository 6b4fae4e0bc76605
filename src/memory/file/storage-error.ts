// One translation from the operating system's file errors to Conduit's typed StorageError, so every
// file operation of the durable broker fails the same way: with the path, the system code and a
// hint a user can act on, never as a bare Node error.

import { ConduitError, StorageError } from '../../core/errors.ts'

const HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full: free space (or raise the quota), then retry; nothing acknowledged was lost',
  EDQUOT: 'the disk quota is exhausted: free space or raise the quota, then retry',
  EACCES:
    'this process may not access the path: fix its owner or mode (chown/chmod), or use another directory',
  EPERM: 'the operation is not permitted on this path: check its owner, mode and attributes',
  EROFS: 'the file system is read-only: remount it read-write or use another directory',
  EISDIR: 'a directory stands where Conduit expects a file: move it away',
  ENOTDIR:
    'a file stands where Conduit expects a directory: point the URL at a directory, or move the file away',
  EEXIST: 'something already exists at this path: move it away',
  EIO: 'the device reported an I/O error: check the disk (dmesg) and restore the data from a backup if needed',
  EMFILE: 'the process has too many open files: raise the limit (ulimit -n) or open fewer topics',
  ENFILE: 'the system has too many open files: raise the limit or close other programs',
  ENOENT: 'the path does not exist (was it removed while in use?)',
}

/** Codes after which the same operation may succeed later without the user changing anything. */
const RETRIABLE = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'EIO'])

/**
 * `error` as a StorageError naming `path` and saying what failed (`action`, e.g. "write the
 * segment"). A ConduitError passes through unchanged, so callers can wrap whole blocks.
 */
export function toStorageError(error: unknown, path: string, action: string): ConduitError {
  if (error instanceof ConduitError) return error
  const systemCode = (error as NodeJS.ErrnoException | undefined)?.code
  const hint = (systemCode && HINTS[systemCode]) ?? 'see the cause for the operating system error'
  const reason = systemCode ?? (error instanceof Error ? error.message : String(error))
  return new StorageError(`could not ${action} at ${path}: ${reason}`, {
    path,
    hint,
    ...(systemCode === undefined ? {} : { systemCode }),
    retriable: systemCode !== undefined && RETRIABLE.has(systemCode),
    cause: error,
  })
}

/** Runs `fn`; any failure comes out as toStorageError(…, path, action). */
export function withStorageErrors<T>(path: string, action: string, fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    throw toStorageError(error, path, action)
  }
}
