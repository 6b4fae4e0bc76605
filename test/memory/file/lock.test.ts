import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { LockedError } from '../../../src/core/errors.ts'
import { DirectoryLock } from '../../../src/memory/file/lock.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-lock-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

void test('the lock file holds our pid and is removed on release', () => {
  const lock = DirectoryLock.acquire(root)
  assert.equal(fs.readFileSync(lock.file, 'utf8').split('\n')[0], String(process.pid))
  assert.throws(() => DirectoryLock.acquire(root), LockedError, 'a second acquire in this process is refused')
  lock.release()
  assert.equal(fs.existsSync(lock.file), false)
})

void test('a lock left by a dead process is taken over', () => {
  // A pid that certainly ran and exited: a child we waited for.
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  const deadPid = Number(child.stdout.toString())
  fs.writeFileSync(path.join(root, 'LOCK'), `${deadPid}\n${os.hostname()}\n2020-01-01T00:00:00Z\n`)
  const lock = DirectoryLock.acquire(root)
  assert.equal(fs.readFileSync(lock.file, 'utf8').split('\n')[0], String(process.pid))
  lock.release()
})

void test('a half-written lock (no pid) counts as stale; a lock from another host does not', () => {
  fs.writeFileSync(path.join(root, 'LOCK'), '')
  DirectoryLock.acquire(root).release()
  fs.writeFileSync(path.join(root, 'LOCK'), `1\nsome-other-host\n`)
  assert.throws(
    () => DirectoryLock.acquire(root),
    (e: unknown) => e instanceof LockedError && /on host some-other-host/.test(e.message),
  )
  fs.rmSync(path.join(root, 'LOCK'))
})
