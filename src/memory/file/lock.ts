// The lock that keeps two processes from writing one `file:` directory.
//
// Files:
//   <dir>/LOCK.<n>            generation n of the lock: "pid, host, time, nonce" while held, "free"
//                             once released. Only the highest generation counts.
//   <dir>/LOCK                the holder's record (a second link to it) while held: for people, and so that
//                             an earlier Conduit (which only knows this file) stays out. Mutual
//                             exclusion does not rest on it.
//   <dir>/LOCK.tmp-<pid>-<nonce>  a record being prepared; never counts.
//
// Why generations. The old scheme (one LOCK file; a stale one removed, then created again) lost
// the race it was meant to win: two processes both saw the dead owner, one removed the stale file
// and created its own, and the other then removed that fresh file and created its own — both
// opened the directory. POSIX has no "delete this file only if it is still the one I looked at",
// so a stale lock must never be deleted to be taken over. Instead each generation is superseded
// by creating the next name with link(2), which fails with EEXIST if the name exists and makes the
// file appear with its full contents (no half-written lock is ever visible).
//
// The argument that at most one process holds the directory:
//  (a) Generation n+1 is created (link succeeds) only by a process that, after listing, read
//      LOCK.<n> and found it free, or held by a pid that no longer runs on this host (or without a
//      readable record, which only a power cut — that ended every holder — can leave). A holder
//      that is alive and has not released is therefore never superseded by n+1.
//  (b) Files are removed only below a generation that exists (the holder of n cleans < n; a
//      process whose link created n removes it again if it then sees a higher one). So once any
//      generation > n exists, some generation > n exists forever after.
//  (c) A slow process may act on an old listing: it read LOCK.<n> as stale, and meanwhile n+1
//      (and more) were created and n+1 even cleaned away, so its link of n+1 succeeds. By (b) a
//      higher generation exists at that moment, so its check right after the link ("is there a
//      generation above mine?") sees it and it withdraws. If the check sees none, its generation
//      was the highest when it looked, and by (a) nobody can supersede it while it lives.
//  Hence the holder is the process whose link created the highest generation and whose check
//  passed; it stays the holder until it writes "free" (rename over its file, atomic) or dies.
// A crash at any step leaves at worst a generation with a dead pid, which the next opener
// supersedes: no state needs a person to delete a file. Within one process the broker registry
// (engines.ts) shares one open store per directory; a second acquire here (e.g. through a bind
// mount that realpath cannot see through) is recognised by the nonces this process holds.

import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LockedError } from '../../core/errors.ts'
import { toStorageError, withStorageErrors } from './storage-error.ts'

const LEGACY = 'LOCK'
const GENERATION = /^LOCK\.(\d{1,15})$/
const TEMPORARY = /^LOCK\.tmp-(\d+)-/
const FREE = 'free\n'
/** Only reached if other processes keep winning generations faster than this one can look. */
const MAX_ATTEMPTS = 1000

interface LockRecord {
  pid: number
  host: string
  nonce: string
}

/** Nonces of the locks this process holds, to tell "held here" from "stale with a reused pid". */
const heldHere = new Set<string>()

export class DirectoryLock {
  /** The generation file this process holds. */
  readonly file: string
  private readonly dir: string
  private readonly nonce: string
  private released = false

  private constructor(dir: string, file: string, nonce: string) {
    this.dir = dir
    this.file = file
    this.nonce = nonce
  }

  static acquire(dir: string): DirectoryLock {
    checkLegacy(dir)
    const nonce = randomUUID()
    const record = `${process.pid}\n${os.hostname()}\n${new Date().toISOString()}\n${nonce}\n`
    const temporary = path.join(dir, `LOCK.tmp-${process.pid}-${nonce}`)
    withStorageErrors(temporary, 'prepare the lock file', () =>
      fs.writeFileSync(temporary, record, { flag: 'wx' }),
    )
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const top = highestGeneration(dir)
        if (top !== null) {
          const file = path.join(dir, `LOCK.${top}`)
          const text = readText(file)
          if (text === null) continue // superseded and cleaned while we looked: look again
          refuseIfHeld(dir, file, parseRecord(text))
        }
        const next = (top ?? 0) + 1
        const file = path.join(dir, `LOCK.${next}`)
        try {
          fs.linkSync(temporary, file)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue // another process won n+1
          throw toStorageError(error, file, 'create the lock file')
        }
        let superseded: boolean
        try {
          superseded = (highestGeneration(dir) ?? 0) > next
        } catch (error) {
          // Not removed (it may be the highest generation, which must not disappear): freed, or
          // failing that left naming this pid, which is stale once this process exits.
          try {
            markFree(dir, file, nonce)
          } catch {
            // the first error is the one to report
          }
          throw toStorageError(error, dir, 'check the lock files')
        }
        if (superseded) {
          // (c): acted on an old listing; a newer generation exists, so this one never counted.
          fs.rmSync(file, { force: true })
          continue
        }
        heldHere.add(nonce)
        try {
          cleanUp(dir, next)
        } catch {
          // leftovers of earlier generations are harmless: only the highest counts
        }
        // The copy for people and earlier Conduits, appearing whole (a second name for the record
        // just linked). Best effort: it decides nothing.
        try {
          fs.renameSync(temporary, path.join(dir, LEGACY))
        } catch {
          // without the copy the lock is as strong
        }
        return new DirectoryLock(dir, file, nonce)
      }
      throw new LockedError(
        `could not lock ${dir}: other processes kept taking its lock (${MAX_ATTEMPTS} attempts)`,
      )
    } finally {
      fs.rmSync(temporary, { force: true })
    }
  }

  release(): void {
    if (this.released) return
    this.released = true
    heldHere.delete(this.nonce)
    try {
      const legacy = path.join(this.dir, LEGACY)
      if (parseRecord(readText(legacy) ?? '')?.nonce === this.nonce) fs.rmSync(legacy, { force: true })
      markFree(this.dir, this.file, this.nonce)
    } catch {
      // A lock we cannot mark free still names this pid, which is no longer running once this
      // process exits; until then another process is refused — the safe side.
    }
  }
}

/** Marked free rather than removed: the highest generation must never disappear (see (b)). */
function markFree(dir: string, file: string, nonce: string): void {
  const temporary = path.join(dir, `LOCK.tmp-${process.pid}-${nonce}-free`)
  fs.writeFileSync(temporary, FREE)
  fs.renameSync(temporary, file)
}

/** The owner of the directory's lock, or null when it is free (for diagnostics and tests). */
export function lockOwner(dir: string): { pid: number; host: string } | null {
  const top = highestGeneration(dir)
  if (top === null) return null
  const owner = parseRecord(readText(path.join(dir, `LOCK.${top}`)) ?? '')
  return owner && (owner.host !== os.hostname() || isRunning(owner.pid)) ? owner : null
}

function refuseIfHeld(dir: string, file: string, owner: LockRecord | null): void {
  if (owner === null) return // free, or a record a power cut left unreadable
  if (owner.host !== os.hostname()) {
    throw new LockedError(
      `the directory ${dir} is locked by process ${owner.pid} on host ${owner.host} (lock file ${file}); ` +
        `if that process is certainly gone, delete the lock files ${path.join(dir, 'LOCK*')}`,
    )
  }
  if (heldHere.has(owner.nonce)) {
    throw new LockedError(`the directory ${dir} is already open in this process through another path`)
  }
  // Our own pid in a record we do not hold: a process before us had this pid (containers reuse them).
  if (owner.pid !== process.pid && isRunning(owner.pid)) {
    throw new LockedError(
      `the directory ${dir} is in use by process ${owner.pid} (lock file ${file}); ` +
        'stop that process, or point this one at another directory — two processes must not share one log',
    )
  }
}

/** An earlier Conduit that only knows LOCK and is still running keeps the directory. */
function checkLegacy(dir: string): void {
  const file = path.join(dir, LEGACY)
  const text = readText(file)
  if (text === null) return
  const owner = parseRecord(text)
  if (owner === null || owner.nonce !== '') return // our own copy: the generations decide
  refuseIfHeld(dir, file, owner)
}

function highestGeneration(dir: string): number | null {
  let top: number | null = null
  for (const name of withStorageErrors(dir, 'list the lock files', () => fs.readdirSync(dir))) {
    const n = Number(GENERATION.exec(name)?.[1] ?? NaN)
    if (!Number.isNaN(n) && (top === null || n > top)) top = n
  }
  return top
}

/** Removes generations below ours (lowest first, keeping (b)) and records of dead processes. */
function cleanUp(dir: string, held: number): void {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return
  }
  const below = names
    .map((name) => Number(GENERATION.exec(name)?.[1] ?? NaN))
    .filter((n) => !Number.isNaN(n) && n < held)
    .sort((a, b) => a - b)
  for (const n of below) fs.rmSync(path.join(dir, `LOCK.${n}`), { force: true })
  for (const name of names) {
    const pid = Number(TEMPORARY.exec(name)?.[1] ?? NaN)
    if (!Number.isNaN(pid) && pid !== process.pid && !isRunning(pid)) {
      fs.rmSync(path.join(dir, name), { force: true })
    }
  }
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw toStorageError(error, file, 'read the lock file')
  }
}

/** pid, host, time and (since lock generations) a nonce; null for "free" or an unreadable record. */
function parseRecord(text: string): LockRecord | null {
  const [pidLine, host, , nonce] = text.split('\n')
  const pid = Number(pidLine)
  if (!Number.isInteger(pid) || pid <= 0) return null
  return { pid, host: host ?? '', nonce: nonce ?? '' }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
