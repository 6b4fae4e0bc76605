import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { LockedError, StorageError } from '../../../src/core/errors.ts'
import { DirectoryLock, lockOwner } from '../../../src/memory/file/lock.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-lock-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

// A pid that certainly ran and exited: a child we waited for.
const deadPid = Number(
  spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString(),
)

function fresh(name: string): string {
  const dir = path.join(root, name)
  fs.mkdirSync(dir)
  return dir
}

void test('the lock holds our pid while held, and is free (LOCK removed) after release', () => {
  const dir = fresh('basic')
  const lock = DirectoryLock.acquire(dir)
  assert.equal(fs.readFileSync(lock.file, 'utf8').split('\n')[0], String(process.pid))
  assert.equal(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').split('\n')[0], String(process.pid))
  assert.equal(lockOwner(dir)?.pid, process.pid)
  assert.throws(() => DirectoryLock.acquire(dir), /already open in this process/)
  lock.release()
  assert.equal(fs.existsSync(path.join(dir, 'LOCK')), false)
  assert.equal(lockOwner(dir), null)
  // Free: the next acquire takes the next generation and cleans the old one away.
  const again = DirectoryLock.acquire(dir)
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    ['LOCK', path.basename(again.file)].sort(),
    'only the held generation and its LOCK copy remain',
  )
  again.release()
})

void test('a lock left by a dead process is taken over — its generation, or an earlier Conduit’s LOCK', () => {
  const stale = `${deadPid}\n${os.hostname()}\n2020-01-01T00:00:00Z\n`
  const dir = fresh('stale')
  fs.writeFileSync(path.join(dir, 'LOCK.7'), `${stale}some-nonce\n`)
  fs.writeFileSync(path.join(dir, 'LOCK'), stale)
  const lock = DirectoryLock.acquire(dir)
  assert.equal(path.basename(lock.file), 'LOCK.8')
  assert.equal(fs.existsSync(path.join(dir, 'LOCK.7')), false)
  lock.release()

  const legacy = fresh('legacy-stale')
  fs.writeFileSync(path.join(legacy, 'LOCK'), stale)
  DirectoryLock.acquire(legacy).release()
})

void test('a live earlier Conduit’s LOCK, a live holder and another host’s lock are respected', () => {
  // This test's parent process is alive and is not this process.
  const live = `${process.ppid}\n${os.hostname()}\n2020-01-01T00:00:00Z\n`
  const legacy = fresh('legacy-live')
  fs.writeFileSync(path.join(legacy, 'LOCK'), live)
  assert.throws(() => DirectoryLock.acquire(legacy), new RegExp(`in use by process ${process.ppid}`))

  const held = fresh('live')
  fs.writeFileSync(path.join(held, 'LOCK.3'), `${live}nonce\n`)
  assert.throws(() => DirectoryLock.acquire(held), LockedError)
  assert.deepEqual(fs.readdirSync(held), ['LOCK.3'], 'a refused acquire leaves nothing behind')

  const remote = fresh('remote')
  fs.writeFileSync(path.join(remote, 'LOCK.1'), `1\nsome-other-host\n2020-01-01T00:00:00Z\nnonce\n`)
  assert.throws(
    () => DirectoryLock.acquire(remote),
    (e: unknown) => e instanceof LockedError && /on host some-other-host/.test(e.message),
  )
})

void test('an unreadable record (a power cut) and our own pid from an earlier process count as stale', () => {
  const torn = fresh('torn')
  fs.writeFileSync(path.join(torn, 'LOCK.2'), '')
  DirectoryLock.acquire(torn).release()
  // Containers reuse pids: a record with this pid that this process does not hold is stale.
  const reused = fresh('reused')
  fs.writeFileSync(path.join(reused, 'LOCK.1'), `${process.pid}\n${os.hostname()}\nthen\nold-nonce\n`)
  DirectoryLock.acquire(reused).release()
})

void test('a lock file the OS refuses to read is a StorageError naming it', () => {
  const dir = fresh('eisdir')
  fs.mkdirSync(path.join(dir, 'LOCK.1'))
  assert.throws(
    () => DirectoryLock.acquire(dir),
    (e: unknown) =>
      e instanceof StorageError && e.systemCode === 'EISDIR' && e.path === path.join(dir, 'LOCK.1'),
  )
})
