// A real, small file system for disk-full tests: a tmpfs of a few MiB mounted on a temporary
// directory (the test runner runs as root in CI), filled by a filler file and emptied again.

import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface SmallDisk {
  readonly dir: string
  /** Writes a filler file until the file system has no page left (the write fails with ENOSPC). */
  fill(): void
  /** Shortens the filler by `bytes`: that much space (whole pages) comes back. */
  release(bytes: number): void
  /** Deletes the filler: the space comes back. */
  free(): void
  unmount(): void
}

/** Mounts a tmpfs of `size` (e.g. '2m'); returns the reason instead when this process may not mount. */
export function mountSmallDisk(size: string): SmallDisk | string {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'conduit-tmpfs-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (error) {
    fs.rmdirSync(dir)
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '')
    // Only a missing privilege is a reason to skip; anything else is a failure of the test setup.
    if (/permission denied|operation not permitted|must be superuser|EPERM/i.test(stderr)) {
      return `cannot mount a tmpfs here (${stderr.trim()})`
    }
    throw error
  }
  const filler = path.join(dir, 'filler')
  return {
    dir,
    fill() {
      const fd = fs.openSync(filler, 'a')
      const chunk = Buffer.alloc(64 * 1024, 1)
      try {
        for (;;) fs.writeSync(fd, chunk) // short writes use up the last pages, then ENOSPC
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
      } finally {
        fs.closeSync(fd)
      }
    },
    release(bytes: number) {
      fs.truncateSync(filler, Math.max(0, fs.statSync(filler).size - bytes))
    },
    free() {
      fs.rmSync(filler, { force: true })
    },
    unmount() {
      // Lazy: a test that failed may still hold files open there; the mount goes once they close.
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
      fs.rmdirSync(dir)
    },
  }
}
