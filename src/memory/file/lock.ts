// The lock that keeps two processes from writing one `file:` directory: a `LOCK` file created
// exclusively (O_CREAT|O_EXCL), holding the owner's pid. A lock whose pid no longer runs was left
// by a crash (kill -9) and is taken over. Within one process the broker registry (engines.ts)
// shares one open store per directory, so the lock is only ever contended between processes.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LockedError } from '../../core/errors.ts'

export class DirectoryLock {
  readonly file: string
  private released = false

  private constructor(file: string) {
    this.file = file
  }

  static acquire(dir: string): DirectoryLock {
    const file = path.join(dir, 'LOCK')
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx')
        fs.writeSync(fd, `${process.pid}\n${os.hostname()}\n${new Date().toISOString()}\n`)
        fs.closeSync(fd)
        heldHere.add(file)
        return new DirectoryLock(file)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const owner = readOwner(file)
      if (owner !== null && owner.host !== os.hostname()) {
        throw new LockedError(
          `the directory ${dir} is locked by process ${owner.pid} on host ${owner.host} (lock file ${file}); ` +
            'if that process is certainly gone, delete the lock file',
        )
      }
      if (owner !== null && owner.pid !== process.pid && isRunning(owner.pid)) {
        throw new LockedError(
          `the directory ${dir} is in use by process ${owner.pid} (lock file ${file}); ` +
            'stop that process, or point this one at another directory — two processes must not share one log',
        )
      }
      if (owner !== null && owner.pid === process.pid && heldHere.has(file)) {
        throw new LockedError(`the directory ${dir} is already open in this process through another path`)
      }
      // Stale: its process is gone. Remove it and try once more; if another process wins that
      // race, the next attempt reports it as the owner.
      fs.rmSync(file, { force: true })
    }
    throw new LockedError(`could not lock ${dir}: another process took the lock at the same moment`)
  }

  release(): void {
    if (this.released) return
    this.released = true
    heldHere.delete(this.file)
    const owner = readOwner(this.file)
    if (owner?.pid === process.pid) fs.rmSync(this.file, { force: true })
  }
}

const heldHere = new Set<string>()

function readOwner(file: string): { pid: number; host: string } | null {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return null
  }
  const [pidLine, host] = text.split('\n')
  const pid = Number(pidLine)
  // A half-written lock (crash between create and write) has no owner: treat it as stale.
  if (!Number.isInteger(pid) || pid <= 0) return null
  return { pid, host: host ?? '' }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
